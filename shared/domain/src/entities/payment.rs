//! A payment: the one PaymentIntent of an order, and the states it goes through; and what
//! the payment gateway is asked for and answers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::order::{Order, OrderView};
use super::ticket_file::{FileView, TicketFile};
use crate::error::Result;
use crate::events::{Event, EventType};
use crate::ids::{OrderId, PaymentId, UserId};
use crate::money::{self, Money};
use crate::time::timestamp;

/// The state of a payment, following its PaymentIntent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PaymentStatus {
    /// Waiting for a card (again, after a decline).
    RequiresPaymentMethod,
    /// Waiting for the buyer to authenticate (3-D Secure) in the browser.
    RequiresAction,
    Processing,
    Succeeded,
    /// The money is going back: the refund is decided and claimed (its order will not
    /// complete), and the gateway is being asked; a retry finishes it, never decides again.
    Refunding,
    /// The money went back: the order could not be completed, or Stripe refunded it.
    Refunded,
    /// Its order was cancelled unpaid: the intent is being cancelled at the gateway so that
    /// it can no longer be paid (claimed; a retry finishes it, never decides again). A
    /// payment that comes first is settled as any payment for a dead order.
    Canceling,
    /// The intent was cancelled unpaid: it can no longer be paid.
    Canceled,
}

impl PaymentStatus {
    /// Settled payments do not complete an order any more (but a success may be refunded).
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            PaymentStatus::Succeeded | PaymentStatus::Refunding | PaymentStatus::Refunded | PaymentStatus::Canceled
        )
    }

    /// Waiting for the buyer or the bank: still payable.
    pub fn is_pending(self) -> bool {
        matches!(self, PaymentStatus::RequiresPaymentMethod | PaymentStatus::RequiresAction | PaymentStatus::Processing)
    }
}

/// Why a payment was refunded although its order was still open: what was charged was not
/// the order's amount, currency or mode (the intent was changed at the provider).
pub const MISMATCH: &str = "The amount charged was not this order's, so it was refunded.";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    pub id: PaymentId,
    pub order_id: OrderId,
    pub user_id: UserId,
    /// The PaymentIntent.
    pub stripe_id: String,
    pub amount: Money,
    pub currency: String,
    pub status: PaymentStatus,
    /// For Stripe.js to confirm the intent in the browser. Never logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Why the last attempt was declined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_id: Option<String>,
    /// When the refund was claimed (`Refunding`): the gateway keeps the refund's idempotency
    /// key for about a day, so a claim older than that is looked up before it is retried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_claimed_at: Option<DateTime<Utc>>,
    /// How much went back (all of it once `Refunded`; part of it, the sale standing, while
    /// `Succeeded`).
    #[serde(default, skip_serializing_if = "Money::is_zero")]
    pub amount_refunded: Money,
    /// Made with live keys (a real charge) or test keys.
    #[serde(default)]
    pub livemode: bool,
    /// The buyer's bank contests the charge (a chargeback): the last dispute the provider
    /// reported, and how it stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispute: Option<Dispute>,
    pub version: u64,
    pub created_at: DateTime<Utc>,
}

/// A dispute of a payment's charge, as the provider reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispute {
    pub id: String,
    pub status: DisputeStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DisputeStatus {
    /// The bank holds the money until it decides.
    Open,
    /// Decided for the seller: the sale stands.
    Won,
    /// Decided for the buyer: the money went back, as a full refund.
    Lost,
}

/// An order with what its page shows: its payments and, once it is complete, its ticket's file.
#[derive(Debug, Clone)]
pub struct OrderPage {
    pub order: Order,
    pub payments: Vec<Payment>,
    /// For a complete order: the file its seller attached to the ticket (`None` inside: none
    /// yet); `None` for any other order.
    pub file: Option<Option<TicketFile>>,
}

impl OrderPage {
    /// A new order's page: no payment yet, no file.
    pub fn new(order: Order) -> Self {
        OrderPage { order, payments: Vec::new(), file: None }
    }

    pub fn view(&self, now: DateTime<Utc>) -> OrderPageView<'_> {
        OrderPageView {
            order: self.order.view(),
            seconds_remaining: self.order.reservation(now).seconds_remaining,
            payments: self.payments.iter().map(|payment| payment.view(false)).collect(),
            file: self.file.as_ref().map(|file| file.as_ref().map(TicketFile::view)),
        }
    }
}

/// `GET /api/orders/{id}` (and `POST /api/orders`' answer): the order with what its page would
/// otherwise ask for on its own: the seconds its reservation has left (as
/// `GET /api/expiration/{orderId}` says them), its payments (as `GET /api/payments?orderId=`
/// lists them) and, once complete, its ticket's file (as `GET /api/tickets/{id}` shows it to
/// the buyer).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderPageView<'a> {
    #[serde(flatten)]
    pub order: OrderView<'a>,
    pub seconds_remaining: i64,
    pub payments: Vec<PaymentView<'a>>,
    /// A complete order's ticket file (null: the seller has not uploaded it yet); absent for
    /// any other order.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable))]
    pub file: Option<Option<FileView>>,
}

/// `POST /api/payments`' answer: the payment and, once it completed its order, the order's
/// page as `GET /api/orders/{id}` shows it (the buyer's next screen, without asking again).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentResultView<'a> {
    #[serde(flatten)]
    pub payment: PaymentView<'a>,
    /// The complete order's page; absent until the payment completed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<OrderPageView<'a>>,
}

/// A payment as its buyer sees it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentView<'a> {
    pub id: &'a PaymentId,
    pub order_id: &'a OrderId,
    pub user_id: &'a UserId,
    pub stripe_id: &'a str,
    pub status: PaymentStatus,
    #[serde(serialize_with = "money::serialize_decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = f64, example = 19.99))]
    pub amount: Money,
    pub currency: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_message: Option<&'a str>,
    #[serde(skip_serializing_if = "Money::is_zero", serialize_with = "money::serialize_decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = f64, example = 19.99))]
    pub amount_refunded: Money,
    pub version: u64,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
}

impl Payment {
    /// The order's payment through `intent`, waiting for a card.
    pub fn start(order: &Order, intent: Intent, now: DateTime<Utc>) -> Payment {
        Payment {
            id: PaymentId::generate(),
            order_id: order.id.clone(),
            user_id: order.user_id.clone(),
            stripe_id: intent.id,
            amount: order.ticket.price,
            currency: order.ticket.currency.clone(),
            status: PaymentStatus::RequiresPaymentMethod,
            client_secret: intent.client_secret,
            failure_message: None,
            refund_id: None,
            refund_claimed_at: None,
            amount_refunded: Money::ZERO,
            livemode: intent.livemode,
            dispute: None,
            version: 0,
            created_at: now,
        }
    }

    fn next(&self, status: PaymentStatus) -> Payment {
        Payment { status, version: self.version + 1, ..self.clone() }
    }

    /// An attempt failed: waiting for another card.
    pub fn declined(&self, message: Option<String>) -> Payment {
        Payment { failure_message: message, ..self.next(PaymentStatus::RequiresPaymentMethod) }
    }

    /// Waiting for the browser (3-D Secure) or the bank.
    pub fn waiting(&self, status: PaymentStatus, client_secret: Option<String>) -> Payment {
        Payment { client_secret: client_secret.or(self.client_secret.clone()), ..self.next(status) }
    }

    pub fn succeed(&self) -> Payment {
        Payment { failure_message: None, ..self.next(PaymentStatus::Succeeded) }
    }

    /// What this payment asks to be charged: the order's amount and currency, in its mode.
    pub fn asked(&self) -> Charge<'_> {
        Charge { amount: self.amount, currency: &self.currency, livemode: self.livemode }
    }

    /// Whether `charge` is what this payment asks for.
    pub fn is_charged_by(&self, charge: Charge<'_>) -> bool {
        self.asked() == charge
    }

    /// A charge that is not what this payment asks for is given back: its order stays as it
    /// was and lapses at its time, as if no payment had come. Claimed like any refund.
    pub fn claim_mismatch_refund(&self, now: DateTime<Utc>) -> Payment {
        Payment { failure_message: Some(MISMATCH.to_owned()), ..self.claim_refund(now) }
    }

    /// The decision to cancel the unpaid intent, claimed before the gateway is asked.
    pub fn claim_cancel(&self) -> Payment {
        self.next(PaymentStatus::Canceling)
    }

    /// The intent was cancelled at the gateway.
    pub fn canceled(&self) -> Payment {
        self.next(PaymentStatus::Canceled)
    }

    /// The decision to give all the money back, claimed before the gateway is asked.
    pub fn claim_refund(&self, now: DateTime<Utc>) -> Payment {
        Payment { refund_claimed_at: Some(now), ..self.next(PaymentStatus::Refunding) }
    }

    /// All the money went back.
    pub fn refund(&self, refund_id: Option<String>) -> Payment {
        Payment {
            refund_id: refund_id.or(self.refund_id.clone()),
            amount_refunded: self.amount,
            ..self.next(PaymentStatus::Refunded)
        }
    }

    /// The dispute `id` now stands at `status`.
    pub fn disputed(&self, id: &str, status: DisputeStatus) -> Payment {
        Payment { dispute: Some(Dispute { id: id.to_owned(), status }), version: self.version + 1, ..self.clone() }
    }

    /// Whether the dispute `id` was already reported as it is now (`status`), or decided.
    pub fn knows_dispute(&self, id: &str, status: DisputeStatus) -> bool {
        self.dispute.as_ref().is_some_and(|dispute| {
            dispute.id == id && (dispute.status == status || dispute.status != DisputeStatus::Open)
        })
    }

    /// Whether a dispute of its charge is open.
    pub fn is_disputed(&self) -> bool {
        self.dispute.as_ref().is_some_and(|dispute| dispute.status == DisputeStatus::Open)
    }

    /// Part of the money went back (`amount_refunded` in all): the sale stands.
    pub fn refund_partly(&self, refund_id: Option<String>, amount_refunded: Money) -> Payment {
        Payment {
            refund_id: refund_id.or(self.refund_id.clone()),
            amount_refunded,
            version: self.version + 1,
            ..self.clone()
        }
    }

    /// The view; the client secret only for its own buyer's pending payment.
    pub fn view(&self, with_secret: bool) -> PaymentView<'_> {
        let pending = self.status.is_pending();
        PaymentView {
            id: &self.id,
            order_id: &self.order_id,
            user_id: &self.user_id,
            stripe_id: &self.stripe_id,
            status: self.status,
            amount: self.amount,
            currency: &self.currency,
            client_secret: self.client_secret.as_deref().filter(|_| with_secret && pending),
            failure_message: self.failure_message.as_deref(),
            amount_refunded: self.amount_refunded,
            version: self.version,
            created_at: timestamp(&self.created_at),
        }
    }

    pub fn event(&self, kind: EventType, now: DateTime<Utc>) -> Result<Event> {
        Event::new(kind, self.version, &self.view(false), now)
    }
}

/// A PaymentIntent's state, as the gateway reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentStatus {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    Processing,
    Succeeded,
    Canceled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intent {
    pub id: String,
    pub status: IntentStatus,
    pub amount: i64,
    /// Lowercase ISO code, as Stripe writes it.
    pub currency: String,
    pub client_secret: Option<String>,
    /// When it succeeded, if the gateway says.
    pub succeeded_at: Option<DateTime<Utc>>,
    /// Made with live keys (a real charge) or test keys.
    pub livemode: bool,
}

impl Intent {
    /// What it says was charged.
    pub fn charge(&self) -> Charge<'_> {
        Charge { amount: Money::from_minor(self.amount), currency: &self.currency, livemode: self.livemode }
    }
}

/// What a succeeded intent charged: its amount, currency and mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Charge<'a> {
    pub amount: Money,
    pub currency: &'a str,
    pub livemode: bool,
}

/// What the gateway is asked to create: the order's amount, never the client's.
#[derive(Debug, Clone)]
pub struct IntentRequest<'a> {
    pub amount: Money,
    pub currency: &'a str,
    pub order_id: &'a OrderId,
    pub user_id: &'a UserId,
}

impl<'a> IntentRequest<'a> {
    pub fn for_order(order: &'a Order) -> Self {
        Self {
            amount: order.ticket.price,
            currency: &order.ticket.currency,
            order_id: &order.id,
            user_id: &order.user_id,
        }
    }

    /// The idempotency key of the order's one PaymentIntent.
    pub fn idempotency_key(&self) -> String {
        format!("order-{}-intent", self.order_id)
    }
}

/// The idempotency key of a PaymentIntent's cancellation.
pub fn cancel_key(intent_id: &str) -> String {
    format!("{intent_id}-cancel")
}

/// The idempotency key of a PaymentIntent's one refund.
pub fn refund_key(intent_id: &str) -> String {
    format!("{intent_id}-refund")
}
