//! Payments: one PaymentIntent per order, for the order's amount from our records. A
//! payment that succeeds completes the order (order `complete`, ticket `sold`, in one
//! conditional change) only if the order still can be completed; otherwise it is refunded.
//! Nobody is charged twice: one intent per order, idempotency keys derived from the order,
//! and the provider's events processed once.
//!
//! Claim, then act: the gateway is never called for an effect that cannot be undone (a
//! refund, an intent cancellation; next, transfers) on a read that a concurrent change can
//! make stale. One conditional write at the versions read records the decision and what
//! derives its idempotency key; only then is the gateway called with that key. A crash or a
//! conflict after the claim is finished by the retry or the sweep, never decided again; a
//! claim older than the gateway keeps keys ([`IDEMPOTENCY_KEY_HOURS`]) is looked up at the
//! gateway before it is retried.

mod cancel;
mod gateway_events;
mod pay;
mod reconcile;
mod settle;

pub use crate::entities::{GatewayEvent, GatewayEventKind};
pub use cancel::cancel_unpaid;
pub use gateway_events::{WEBHOOK_CONSUMER, WebhookOutcome, handle_gateway_event};
pub use pay::{Outcome, list, order_page, order_with_payments, pay};
pub use reconcile::{RECONCILE_WINDOW, Reconciliation, reconcile};
pub(crate) use settle::refund_order;
pub use settle::{IDEMPOTENCY_KEY_HOURS, finish_refund, may_complete, record_failure, record_refund, settle};
