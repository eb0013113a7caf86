//! What every event consumer shares: an SQS batch handler that reports partial batch
//! failures, the shape EventBridge delivers events in, and once-only processing by
//! event id. Consumers also order by entity version with [`crate::events::is_newer`].

use std::future::Future;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::events::Event;
use crate::ports::Inbox;

/// An event as EventBridge hands it to a target: the envelope is the `detail`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BusEvent {
    pub version: String,
    pub id: String,
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    pub source: String,
    pub time: DateTime<Utc>,
    pub region: String,
    #[serde(default)]
    pub resources: Vec<String>,
    pub detail: Event,
}

impl BusEvent {
    /// `event` as a bus in `region` delivers it.
    pub fn wrap(event: &Event, region: &str) -> Self {
        Self {
            version: "0".to_owned(),
            id: ulid::Ulid::new().to_string(),
            detail_type: event.kind.as_str().to_owned(),
            source: event.kind.source().to_owned(),
            time: event.time,
            region: region.to_owned(),
            resources: Vec::new(),
            detail: event.clone(),
        }
    }
}

/// The domain event an SQS message carries.
pub fn event_of(message: &SqsMessage) -> Result<Event> {
    let body = message.body.as_deref().unwrap_or_default();
    let delivered: BusEvent = serde_json::from_str(body)
        .map_err(|e| Error::Internal(anyhow::Error::new(e).context("an SQS message that is not a bus event")))?;
    Ok(delivered.detail)
}

/// Runs `handle` on each message's event, in order. The messages it fails on (and those
/// that do not decode) are reported back, so SQS redelivers only them and, after the
/// queue's `maxReceiveCount`, moves them to the dead-letter queue.
pub async fn handle_batch<F, Fut>(batch: SqsEvent, handle: F) -> SqsBatchResponse
where
    F: Fn(Event) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    let mut response = SqsBatchResponse::default();
    for message in &batch.records {
        let outcome = match event_of(message) {
            Ok(event) => handle(event).await,
            Err(error) => Err(error),
        };
        if let Err(error) = outcome {
            let id = message.message_id.clone().unwrap_or_default();
            tracing::error!(error = ?error, message_id = %id, "event not processed; it will be redelivered");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    response
}

/// Runs `effect` for `event` unless `consumer` already processed it. The event is recorded
/// after the effect succeeds, so a failure never loses it; an effect interrupted between
/// the two runs again on redelivery, so effects are written to be repeatable (conditional
/// on the entity version, or keyed by the event id).
pub async fn once<F, Fut>(inbox: &impl Inbox, consumer: &str, event: &Event, effect: F) -> Result<()>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<()>>,
{
    if inbox.seen(consumer, &event.id).await? {
        tracing::info!(consumer, event_id = %event.id, "duplicate delivery ignored");
        return Ok(());
    }
    effect().await?;
    inbox.record(consumer, &event.id).await
}
