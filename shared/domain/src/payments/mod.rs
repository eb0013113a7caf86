//! Payments: one PaymentIntent per order, for the order's amount from our records. A
//! payment that succeeds completes the order (order `complete`, ticket `sold`, in one
//! conditional change) only if the order still can be completed; otherwise it is refunded.
//! Nobody is charged twice: one intent per order, idempotency keys derived from the order,
//! and the provider's events processed once.

mod gateway_events;
mod pay;
mod settle;

pub use gateway_events::{GatewayEvent, GatewayEventKind, WEBHOOK_CONSUMER, WebhookOutcome, handle_gateway_event};
pub use pay::{Outcome, list, pay};
pub use settle::{may_complete, record_failure, record_refund, settle};
