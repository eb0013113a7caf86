//! One order's story across functions: every line logged while work is about an order
//! names it. The Lambda edge opens one span per request, event or invocation with an
//! `order_id` field (from the path, the event or the input when they name one); the use
//! cases name the order here when they learn it later (a new order, a payment's order, a
//! provider event found by its intent).

use crate::ids::OrderId;

/// From here on, every line logged for the current request, event or invocation names
/// `order` (outside such a span, as in tests, nothing happens).
pub fn about(order: &OrderId) {
    tracing::Span::current().record("order_id", tracing::field::display(order));
}

/// A span for one order's part of a batch (a sweep): every line logged in it names `order`.
pub fn of(order: &OrderId) -> tracing::Span {
    tracing::info_span!("order", order_id = %order)
}

/// A span for one item of a batch whose order is learnt on the way (a provider event, found
/// by its intent): [`about`] names it.
pub fn of_item() -> tracing::Span {
    tracing::info_span!("item", order_id = tracing::field::Empty)
}
