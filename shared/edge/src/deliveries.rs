//! Consumers' SQS batches: each message is an event as EventBridge delivers it to a queue
//! target (or a notification, on the outbound queue), and only the messages a handler fails
//! on are reported back (partial batch failures), so SQS redelivers just those and
//! dead-letters what keeps failing.

use std::future::Future;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::{DateTime, Utc};
use domain::entities::Notification;
use domain::events::Event;
use domain::{Error, Result};
use serde::{Deserialize, Serialize};
use tracing::Instrument;

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

/// `event` as a rule's queue delivers it, in a batch of one message.
pub fn batch_of(event: &Event, region: &str) -> SqsEvent {
    let mut message = SqsMessage::default();
    message.message_id = Some(ulid::Ulid::new().to_string());
    message.body = serde_json::to_string(&BusEvent::wrap(event, region)).ok();
    let mut batch = SqsEvent::default();
    batch.records = vec![message];
    batch
}

/// The domain event an SQS message carries.
pub fn event_of(message: &SqsMessage) -> Result<Event> {
    let body = message.body.as_deref().unwrap_or_default();
    let delivered: BusEvent =
        serde_json::from_str(body).map_err(|e| Error::internal(e, "an SQS message that is not a bus event"))?;
    Ok(delivered.detail)
}

/// What a consumer's queue carries.
pub trait Delivered: Sized {
    fn decode(message: &SqsMessage) -> Result<Self>;

    /// The span every line logged for it is in: what it is, and its order when it has one.
    fn span(&self) -> tracing::Span;
}

impl Delivered for Event {
    fn decode(message: &SqsMessage) -> Result<Self> {
        event_of(message)
    }

    fn span(&self) -> tracing::Span {
        let span = tracing::info_span!(
            "event",
            event_id = %self.id,
            event_type = self.kind.as_str(),
            order_id = tracing::field::Empty
        );
        if let Some(order) = self.order_id() {
            span.record("order_id", order);
        }
        span
    }
}

/// A notification on the outbound queue: its JSON is the message's body.
impl Delivered for Notification {
    fn decode(message: &SqsMessage) -> Result<Self> {
        let body = message.body.as_deref().unwrap_or_default();
        serde_json::from_str(body).map_err(|e| Error::internal(e, "an SQS message that is not a notification"))
    }

    fn span(&self) -> tracing::Span {
        tracing::info_span!("notification", notification_id = %self.id, kind = %self.kind, order_id = %self.order_id)
    }
}

/// Runs `handle` on each message's event (or notification), in order, and reports the
/// messages it failed on (and those that do not decode).
pub async fn handle_batch<T, F, Fut>(batch: SqsEvent, handle: F) -> SqsBatchResponse
where
    T: Delivered,
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    let mut response = SqsBatchResponse::default();
    for message in &batch.records {
        let id = message.message_id.clone().unwrap_or_default();
        let delivered = T::decode(message);
        let span = match &delivered {
            Ok(delivered) => delivered.span(),
            Err(_) => tracing::info_span!("event", message_id = %id),
        };
        let outcome = async {
            let outcome = match delivered {
                Ok(delivered) => handle(delivered).await,
                Err(error) => Err(error),
            };
            if let Err(error) = &outcome {
                tracing::error!(error = ?error, message_id = %id, "event not processed; it will be redelivered");
            }
            outcome
        }
        .instrument(span)
        .await;
        if outcome.is_err() {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    response
}
