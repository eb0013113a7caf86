//! Once-only processing of delivered events, by event id, per consumer.

use std::future::Future;

use crate::error::Result;
use crate::ports::Inbox;

/// Runs `effect` unless `consumer` already processed `event_id`; `None` for a duplicate.
/// The event is recorded after the effect succeeds, so a failure never loses it; an effect
/// interrupted between the two runs again on redelivery, so effects are written to be
/// repeatable (conditional on the entity version, or keyed by the event id).
pub async fn once<T, F, Fut>(inbox: &impl Inbox, consumer: &str, event_id: &str, effect: F) -> Result<Option<T>>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    if inbox.seen(consumer, event_id).await? {
        tracing::info!(consumer, event_id, "duplicate delivery ignored");
        return Ok(None);
    }
    let outcome = effect().await?;
    inbox.record(consumer, event_id).await?;
    Ok(Some(outcome))
}
