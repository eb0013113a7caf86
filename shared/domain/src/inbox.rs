//! Once-only processing of delivered events, by event id, per consumer.

use std::future::Future;

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::ports::{Claim, Inbox};

/// How long a claim holds before another delivery may retake it: longer than any consumer
/// runs (the expiration consumer may wait up to a minute for an order to be due), so only
/// the claim of a delivery that crashed runs out.
pub const LEASE: chrono::Duration = chrono::Duration::minutes(2);

/// Runs `effect` unless `consumer` already processed `event_id`; `None` for a duplicate.
/// The event is claimed first (of concurrent deliveries, one runs the effect; the others
/// fail and are redelivered later), completed after the effect succeeds, and released when
/// it fails, so a failure never loses the event. An effect interrupted by a crash runs
/// again once its claim's lease runs out, so effects are written to be repeatable
/// (conditional on the entity version, or keyed by the event id).
pub async fn once<T, F, Fut>(
    inbox: &impl Inbox,
    consumer: &str,
    event_id: &str,
    now: DateTime<Utc>,
    effect: F,
) -> Result<Option<T>>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    match inbox.claim(consumer, event_id, now, now + LEASE).await? {
        Claim::Done => {
            tracing::info!(consumer, event_id, "duplicate delivery ignored");
            Ok(None)
        }
        Claim::Busy => {
            Err(Error::Internal(anyhow::anyhow!("{consumer} is processing event {event_id} in another delivery")))
        }
        Claim::Acquired => match effect().await {
            Ok(outcome) => {
                inbox.complete(consumer, event_id).await?;
                Ok(Some(outcome))
            }
            Err(error) => {
                if let Err(release) = inbox.release(consumer, event_id).await {
                    tracing::warn!(error = ?release, consumer, event_id, "releasing a claim failed; its lease will run out");
                }
                Err(error)
            }
        },
    }
}
