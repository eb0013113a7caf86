//! Payments: one Stripe PaymentIntent per order, for the order's amount from our records.
//! A payment that succeeds completes the order (order `complete`, ticket `sold`, in one
//! conditional transaction) only if the order still can be completed; otherwise it is
//! refunded. Nobody is charged twice: one intent per order, idempotency keys derived from
//! the order, and webhook events processed once.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::events::{Event, EventType};
use crate::money::{self, Money};
use crate::orders::{self, CancelReason, Order, OrderChange, OrderId, OrderStatus};
use crate::ports::{Inbox, OrderStore, PaymentGateway, TicketStore};
use crate::stripe_webhook::StripeEvent;
use crate::tickets::{Ticket, TicketStatus, timestamp};
use crate::users::UserId;

ulid_id!(
    /// Opaque payment id.
    PaymentId
);

/// The state of a payment, following its PaymentIntent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Waiting for a card (again, after a decline).
    RequiresPaymentMethod,
    /// Waiting for the buyer to authenticate (3-D Secure) in the browser.
    RequiresAction,
    Processing,
    Succeeded,
    /// The money went back: the order could not be completed, or Stripe refunded it.
    Refunded,
}

impl PaymentStatus {
    /// Settled payments do not change any more (but for a refund of a success).
    fn is_settled(self) -> bool {
        matches!(self, PaymentStatus::Succeeded | PaymentStatus::Refunded)
    }
}

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
    pub version: u64,
    pub created_at: DateTime<Utc>,
}

/// A payment as its buyer sees it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentView<'a> {
    pub id: &'a PaymentId,
    pub order_id: &'a OrderId,
    pub user_id: &'a UserId,
    pub stripe_id: &'a str,
    pub status: PaymentStatus,
    #[serde(serialize_with = "money::serialize_decimal")]
    pub amount: Money,
    pub currency: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_message: Option<&'a str>,
    pub version: u64,
    pub created_at: String,
}

impl Payment {
    /// The view; the client secret only for its own buyer's pending payment.
    pub fn view(&self, with_secret: bool) -> PaymentView<'_> {
        let pending = !self.status.is_settled();
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
            version: self.version,
            created_at: timestamp(&self.created_at),
        }
    }

    fn event(&self, kind: EventType, now: DateTime<Utc>) -> Result<Event> {
        Event::new(kind, self.version, &self.view(false), now)
    }

    fn next(&self, status: PaymentStatus) -> Payment {
        Payment { status, version: self.version + 1, ..self.clone() }
    }
}

/// A PaymentIntent's state, as the gateway reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntentStatus {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    Processing,
    Succeeded,
    Canceled,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    pub id: String,
    pub status: IntentStatus,
    pub amount: i64,
    pub client_secret: Option<String>,
}

/// What the gateway is asked to create: the order's amount, never the client's.
#[derive(Debug, Clone)]
pub struct IntentRequest<'a> {
    pub amount: Money,
    pub currency: &'a str,
    pub order_id: &'a OrderId,
    pub user_id: &'a UserId,
}

impl IntentRequest<'_> {
    /// The idempotency key of the order's one PaymentIntent.
    pub fn idempotency_key(&self) -> String {
        format!("order-{}-intent", self.order_id)
    }
}

/// The idempotency key of a PaymentIntent's one refund.
pub fn refund_key(intent_id: &str) -> String {
    format!("{intent_id}-refund")
}

/// What `POST /api/payments` did.
#[derive(Debug)]
pub enum Outcome {
    /// The intent exists for Stripe.js to confirm (no token given).
    Started(Payment),
    /// Paid: the order is complete.
    Succeeded(Payment),
    /// The buyer must authenticate in the browser (3-D Secure), or the bank is processing.
    Pending(Payment),
}

const ALREADY_PAID: Error = Error::Conflict("Order is already paid");
const DEAD_ORDER: Error = Error::Conflict("Cannot pay for a cancelled order");

/// Pays for `order_id`: with `token`, charges it now (the one-step flow); without, returns the
/// order's PaymentIntent for the browser to confirm.
pub async fn pay(
    orders: &impl OrderStore,
    tickets: &impl TicketStore,
    gateway: &impl PaymentGateway,
    user: &UserId,
    order_id: &str,
    token: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    let order = orders::get_own(orders, user, order_id).await?;
    match order.status {
        OrderStatus::Complete => return Err(ALREADY_PAID),
        OrderStatus::Cancelled => return Err(DEAD_ORDER),
        _ if !order.holds_reservation(now) => return Err(DEAD_ORDER),
        _ => {}
    }
    let (payment, existed) = start(orders, gateway, &order, now).await?;
    if payment.status == PaymentStatus::Succeeded {
        return Err(ALREADY_PAID);
    }
    let Some(token) = token else { return Ok(Outcome::Started(payment)) };
    if existed && gateway.get_intent(&payment.stripe_id).await?.status == IntentStatus::Succeeded {
        // Paid in a browser meanwhile (its webhook is on its way): settle now, charge nothing.
        settle(orders, tickets, gateway, &order.id, &payment.stripe_id, now, now).await?;
        return Err(ALREADY_PAID);
    }

    let intent = match gateway.confirm(&payment.stripe_id, token).await {
        Ok(intent) => intent,
        Err(Error::PaymentDeclined(message)) => {
            let declined = Payment {
                failure_message: Some(message.clone()),
                ..payment.next(PaymentStatus::RequiresPaymentMethod)
            };
            save(orders, &payment, declined, EventType::PaymentFailed, now).await?;
            return Err(Error::PaymentDeclined(message));
        }
        Err(other) => return Err(other),
    };
    match intent.status {
        IntentStatus::Succeeded => {
            let settled = settle(orders, tickets, gateway, &order.id, &payment.stripe_id, now, now).await?;
            match settled.status {
                PaymentStatus::Succeeded => Ok(Outcome::Succeeded(settled)),
                // The order died while the card was charged: the money went back.
                _ => Err(DEAD_ORDER),
            }
        }
        IntentStatus::RequiresAction | IntentStatus::Processing => {
            let status = if intent.status == IntentStatus::Processing {
                PaymentStatus::Processing
            } else {
                PaymentStatus::RequiresAction
            };
            let waiting = Payment {
                client_secret: intent.client_secret.or(payment.client_secret.clone()),
                ..payment.next(status)
            };
            orders
                .commit(&OrderChange {
                    payments: vec![(waiting.clone(), Some(payment.version))],
                    ..OrderChange::default()
                })
                .await?;
            Ok(Outcome::Pending(waiting))
        }
        other => Err(Error::Internal(anyhow::anyhow!("confirming {} left it {other:?}", payment.stripe_id))),
    }
}

/// The order's payment, and whether it existed before: the first call creates its one
/// PaymentIntent and marks the order `awaiting:payment`. Concurrent first calls converge on
/// one payment: the gateway's idempotency key gives them the same intent and only one
/// record commits.
async fn start(
    orders: &impl OrderStore,
    gateway: &impl PaymentGateway,
    order: &Order,
    now: DateTime<Utc>,
) -> Result<(Payment, bool)> {
    if let Some(payment) = orders.payment_for(&order.id).await? {
        return Ok((payment, true));
    }
    let request = IntentRequest {
        amount: order.ticket.price,
        currency: &order.ticket.currency,
        order_id: &order.id,
        user_id: &order.user_id,
    };
    let intent = gateway.create_intent(&request).await?;
    let payment = Payment {
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
        version: 0,
        created_at: now,
    };
    let awaiting = Order { status: OrderStatus::AwaitingPayment, version: order.version + 1, ..order.clone() };
    let change = OrderChange {
        orders: vec![(awaiting, Some(order.version))],
        payments: vec![(payment.clone(), None)],
        ..OrderChange::default()
    };
    match orders.commit(&change).await {
        Ok(()) => Ok((payment, false)),
        Err(Error::Conflict(_)) => {
            orders.payment_for(&order.id).await?.map(|payment| (payment, true)).ok_or(DEAD_ORDER)
        }
        Err(other) => Err(other),
    }
}

/// A PaymentIntent succeeded at `succeeded_at`. Completes its order (order `complete`, ticket
/// `sold`) if the payment came before the reservation lapsed and the ticket is still the
/// order's (or free again); otherwise refunds it. Repeating it changes nothing.
pub async fn settle(
    orders: &impl OrderStore,
    tickets: &impl TicketStore,
    gateway: &impl PaymentGateway,
    order_id: &OrderId,
    intent_id: &str,
    succeeded_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Payment> {
    // A concurrent change (an expiry, a second delivery) makes the commit fail; then look again.
    for _ in 0..3 {
        let payment = payment_of(orders, order_id, intent_id).await?;
        if payment.status.is_settled() {
            return Ok(payment);
        }
        let order = orders
            .get(&payment.order_id)
            .await?
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("payment without order")))?;
        let ticket = tickets.get(&order.ticket.id).await?;
        let outcome = match completion(&order, ticket.as_ref(), succeeded_at) {
            Some(ticket) => complete(orders, &order, ticket, &payment, now).await,
            None => refund(orders, gateway, &order, &payment, now).await,
        };
        match outcome {
            Err(Error::Conflict(_)) => continue,
            other => return other,
        }
    }
    Err(Error::Internal(anyhow::anyhow!("settling {intent_id} kept conflicting")))
}

/// The payment of `order_id`, which must be for `intent_id`.
async fn payment_of(orders: &impl OrderStore, order_id: &OrderId, intent_id: &str) -> Result<Payment> {
    match orders.payment_for(order_id).await? {
        Some(payment) if payment.stripe_id == intent_id => Ok(payment),
        _ => Err(Error::Internal(anyhow::anyhow!("no payment of order {order_id} for intent {intent_id}"))),
    }
}

/// The ticket to sell, if `order` may be completed by a payment at `paid_at`.
fn completion<'a>(order: &Order, ticket: Option<&'a Ticket>, paid_at: DateTime<Utc>) -> Option<&'a Ticket> {
    let ticket = ticket?;
    let in_time = paid_at < order.expires_at;
    let held = ticket.status == TicketStatus::Reserved && ticket.order_id.as_deref() == Some(order.id.as_str());
    let free = ticket.status == TicketStatus::Available;
    let order_alive = order.is_open() || (order.cancel_reason == Some(CancelReason::Expired) && free);
    (in_time && order_alive && (held || free)).then_some(ticket)
}

async fn complete(
    orders: &impl OrderStore,
    order: &Order,
    ticket: &Ticket,
    payment: &Payment,
    now: DateTime<Utc>,
) -> Result<Payment> {
    let paid =
        Order { status: OrderStatus::Complete, cancel_reason: None, version: order.version + 1, ..order.clone() };
    let sold = Ticket {
        status: TicketStatus::Sold,
        order_id: Some(order.id.to_string()),
        reserved_until: None,
        version: ticket.version + 1,
        ..ticket.clone()
    };
    let succeeded = Payment { failure_message: None, ..payment.next(PaymentStatus::Succeeded) };
    let change = OrderChange {
        events: vec![
            succeeded.event(EventType::PaymentSucceeded, now)?,
            paid.event(EventType::OrderCompleted, now)?,
            sold.event(EventType::TicketUpdated, now)?,
        ],
        orders: vec![(paid, Some(order.version))],
        tickets: vec![(sold, ticket.version)],
        payments: vec![(succeeded.clone(), Some(payment.version))],
    };
    orders.commit(&change).await?;
    Ok(succeeded)
}

/// Gives the money back for an order that cannot be completed, cancelling the order (as
/// expired) if it is still open.
async fn refund(
    orders: &impl OrderStore,
    gateway: &impl PaymentGateway,
    order: &Order,
    payment: &Payment,
    now: DateTime<Utc>,
) -> Result<Payment> {
    let refund_id = gateway.refund(&payment.stripe_id).await?;
    let refunded = Payment { refund_id: Some(refund_id), ..payment.next(PaymentStatus::Refunded) };
    let mut change = OrderChange {
        events: vec![refunded.event(EventType::PaymentRefunded, now)?],
        payments: vec![(refunded.clone(), Some(payment.version))],
        ..OrderChange::default()
    };
    if order.is_open() {
        // Past its reservation: the order lapsed (its ticket, if still held, is freed by the expiry).
        let cancelled = Order {
            status: OrderStatus::Cancelled,
            cancel_reason: Some(CancelReason::Expired),
            version: order.version + 1,
            ..order.clone()
        };
        change.events.push(cancelled.event(EventType::OrderCancelled, now)?);
        change.orders.push((cancelled, Some(order.version)));
    }
    orders.commit(&change).await?;
    tracing::warn!(order = %order.id, intent = %payment.stripe_id, "payment for an order that cannot complete was refunded");
    Ok(refunded)
}

/// Stripe says an attempt failed (`payment_intent.payment_failed`). A settled payment, or one
/// already marked with this failure, is left as it is.
pub async fn record_failure(
    orders: &impl OrderStore,
    order_id: &OrderId,
    intent_id: &str,
    message: Option<String>,
    now: DateTime<Utc>,
) -> Result<()> {
    let payment = payment_of(orders, order_id, intent_id).await?;
    if payment.status.is_settled()
        || (payment.status == PaymentStatus::RequiresPaymentMethod && payment.failure_message == message)
    {
        return Ok(());
    }
    let failed = Payment { failure_message: message, ..payment.next(PaymentStatus::RequiresPaymentMethod) };
    save(orders, &payment, failed, EventType::PaymentFailed, now).await
}

/// Stripe says the intent's charge was refunded (`charge.refunded`), by us or from its dashboard.
pub async fn record_refund(
    orders: &impl OrderStore,
    intent_id: &str,
    refund_id: Option<String>,
    now: DateTime<Utc>,
) -> Result<()> {
    let Some(payment) = orders.payment_by_intent(intent_id).await? else { return Ok(()) };
    if payment.status == PaymentStatus::Refunded {
        return Ok(());
    }
    let refunded =
        Payment { refund_id: refund_id.or(payment.refund_id.clone()), ..payment.next(PaymentStatus::Refunded) };
    save(orders, &payment, refunded, EventType::PaymentRefunded, now).await
}

/// Stores `updated` in place of `previous` (at its version) with the event that announces it.
async fn save(
    orders: &impl OrderStore,
    previous: &Payment,
    updated: Payment,
    kind: EventType,
    now: DateTime<Utc>,
) -> Result<()> {
    let change = OrderChange {
        events: vec![updated.event(kind, now)?],
        payments: vec![(updated, Some(previous.version))],
        ..OrderChange::default()
    };
    orders.commit(&change).await
}

/// The caller's payments for one of their orders.
pub async fn list(orders: &impl OrderStore, user: &UserId, order_id: &str) -> Result<Vec<Payment>> {
    let order = orders::get_own(orders, user, order_id).await?;
    Ok(orders.payment_for(&order.id).await?.into_iter().collect())
}

/// What the webhook did with a Stripe event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookOutcome {
    Processed,
    /// Seen before (Stripe redelivers): nothing done.
    Duplicate,
    /// A type, or an intent, this service does not handle: acknowledged only.
    Ignored,
}

/// The inbox consumer name under which Stripe event ids are recorded.
const WEBHOOK_CONSUMER: &str = "stripe-webhook";

/// Handles a verified Stripe event once: `payment_intent.succeeded` settles the order,
/// `payment_intent.payment_failed` records the failure, `charge.refunded` records a refund.
/// An error leaves the event unrecorded, so Stripe's retry runs it again.
pub async fn handle_webhook(
    orders: &impl OrderStore,
    tickets: &impl TicketStore,
    gateway: &impl PaymentGateway,
    inbox: &impl Inbox,
    event: &StripeEvent,
    now: DateTime<Utc>,
) -> Result<WebhookOutcome> {
    if inbox.seen(WEBHOOK_CONSUMER, &event.id).await? {
        return Ok(WebhookOutcome::Duplicate);
    }
    let object = &event.data.object;
    let intent_id = object["id"].as_str().unwrap_or_default();
    // Only intents this service created name one of its orders, with a payment for them.
    let mut order_id = object["metadata"]["order_id"].as_str().and_then(OrderId::parse);
    if let Some(id) = &order_id
        && event.kind.starts_with("payment_intent.")
        && orders.payment_for(id).await?.is_none_or(|payment| payment.stripe_id != intent_id)
    {
        tracing::warn!(event_id = %event.id, intent = intent_id, "event for an intent this service has no payment for");
        order_id = None;
    }
    let outcome = match (event.kind.as_str(), order_id) {
        ("payment_intent.succeeded", Some(order_id)) => {
            let succeeded_at = DateTime::from_timestamp(event.created, 0).unwrap_or(now);
            settle(orders, tickets, gateway, &order_id, intent_id, succeeded_at, now).await?;
            WebhookOutcome::Processed
        }
        ("payment_intent.payment_failed", Some(order_id)) => {
            let message = object["last_payment_error"]["message"].as_str().map(str::to_owned);
            record_failure(orders, &order_id, intent_id, message, now).await?;
            WebhookOutcome::Processed
        }
        ("charge.refunded", _) => match object["payment_intent"].as_str() {
            Some(intent) => {
                let refund = object["refunds"]["data"][0]["id"].as_str().map(str::to_owned);
                record_refund(orders, intent, refund, now).await?;
                WebhookOutcome::Processed
            }
            None => WebhookOutcome::Ignored,
        },
        _ => WebhookOutcome::Ignored,
    };
    inbox.record(WEBHOOK_CONSUMER, &event.id).await?;
    Ok(outcome)
}
