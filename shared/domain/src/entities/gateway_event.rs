//! What the payment provider tells us (Stripe's webhook, or its record of events), once
//! its adapter has verified and translated it.

use chrono::{DateTime, Utc};

use crate::ids::OrderId;
use crate::money::Money;

/// A provider event: its id (the provider redelivers; it is processed once) and what it says.
#[derive(Debug, Clone, PartialEq)]
pub struct GatewayEvent {
    pub id: String,
    pub kind: GatewayEventKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum GatewayEventKind {
    /// The intent of `order` was paid at `at`.
    IntentSucceeded {
        order: OrderId,
        intent: String,
        amount: Money,
        currency: String,
        livemode: bool,
        at: DateTime<Utc>,
    },
    /// An attempt to pay the intent of `order` failed.
    IntentFailed { order: OrderId, intent: String, message: Option<String> },
    /// The intent's charge was refunded, `amount_refunded` in all so far (`full`: all of it).
    ChargeRefunded { intent: String, refund: Option<String>, amount_refunded: Money, full: bool },
    /// A refund of the intent's charge failed (the card cannot take it back): the money did
    /// not go back, and a person must give it back another way.
    RefundFailed { intent: String, refund: String },
    /// The bank opened dispute `dispute` of the intent's charge (a chargeback).
    DisputeOpened { intent: String, dispute: String },
    /// Dispute `dispute` was decided: `won` for the seller (or an inquiry closed with no
    /// money taken), otherwise lost.
    DisputeClosed { intent: String, dispute: String, won: bool },
    /// Anything else (another type, or an intent that names no order of ours): acknowledged.
    Other { kind: String },
}
