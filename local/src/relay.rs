//! The local counterpart of the outbox table's stream and the relay function: publishes
//! what committed changes left in the outbox, oldest first, and removes what the bus took
//! (a crash between the two publishes it again: consumers process an event id once). A
//! failed publish is retried with backoff; nothing leaves the outbox unpublished.

use std::time::Duration;

use domain::ports::EventPublisher;
use embedded::EmbeddedStore;

pub async fn relay_outbox(store: EmbeddedStore, publisher: impl EventPublisher) {
    const BATCH: usize = 100;
    const FIRST_DELAY: Duration = Duration::from_millis(50);
    let mut delay = FIRST_DELAY;
    let mut changes = store.changes();
    loop {
        changes.borrow_and_update();
        let published = match store.outbox_pending(BATCH).await {
            Ok(events) if events.is_empty() => {
                let _ = changes.changed().await;
                continue;
            }
            Ok(events) => match publisher.publish(&events).await {
                Ok(()) => store.outbox_remove(events.into_iter().map(|event| event.id).collect()).await,
                Err(error) => Err(error),
            },
            Err(error) => Err(error),
        };
        match published {
            Ok(()) => delay = FIRST_DELAY,
            Err(error) => {
                tracing::warn!(error = ?error, "relaying the outbox failed; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}
