//! Relaying committed events to the bus: in the order they were committed, a batch at a
//! time, stopping at the first batch the bus refuses so that nothing after it overtakes it.

use crate::events::Event;
use crate::ports::EventPublisher;

/// Events per publish call.
pub const CHUNK: usize = 10;

/// Publishes `pending` in order. On the first refused batch, returns the position (in
/// `pending`) of its first event: everything from there is still to be published.
pub async fn publish_in_order(pending: &[Event], publisher: &impl EventPublisher) -> Option<usize> {
    for (index, chunk) in pending.chunks(CHUNK).enumerate() {
        if let Err(error) = publisher.publish(chunk).await {
            let events: Vec<&str> = chunk.iter().map(|event| event.id.as_str()).collect();
            let orders: Vec<&str> = chunk.iter().filter_map(Event::order_id).collect();
            tracing::warn!(error = ?error, ?events, ?orders, "publishing events failed; they will be retried");
            return Some(index * CHUNK);
        }
    }
    None
}
