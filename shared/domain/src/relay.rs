//! Relaying committed events to the bus: in the order they were committed, a batch at a
//! time, stopping at the first batch the bus refuses so that nothing after it overtakes it.
//! Only the types some consumer subscribes to are published: any other event would cost a
//! `PutEvents` entry and reach nobody; it stays in the outbox (a week), as every event does.

use crate::events::{Event, EventType};
use crate::ports::EventPublisher;
use crate::{expiration, notifications, payouts};

/// Events per publish call.
pub const CHUNK: usize = 10;

/// The types each consumer subscribes to, each through a rule of the template (that these
/// are exactly the rules' types is a test of the template).
pub const SUBSCRIBERS: [&[EventType]; 3] = [&expiration::CONSUMES, &notifications::CONSUMES, &payouts::CONSUMES];

/// Whether a consumer subscribes to events of `kind`.
pub fn subscribed(kind: EventType) -> bool {
    SUBSCRIBERS.iter().any(|types| types.contains(&kind))
}

/// Publishes the events of `pending` that a consumer subscribes to, in order. On the first
/// refused batch, returns the position (in `pending`) of its first event: everything from
/// there is still to be published.
pub async fn publish_in_order(pending: &[Event], publisher: &impl EventPublisher) -> Option<usize> {
    let published: Vec<usize> = (0..pending.len()).filter(|&at| subscribed(pending[at].kind)).collect();
    for positions in published.chunks(CHUNK) {
        let chunk: Vec<Event> = positions.iter().map(|&at| pending[at].clone()).collect();
        if let Err(error) = publisher.publish(&chunk).await {
            let events: Vec<&str> = chunk.iter().map(|event| event.id.as_str()).collect();
            let orders: Vec<&str> = chunk.iter().filter_map(Event::order_id).collect();
            tracing::warn!(error = ?error, ?events, ?orders, "publishing events failed; they will be retried");
            return Some(positions[0]);
        }
    }
    None
}
