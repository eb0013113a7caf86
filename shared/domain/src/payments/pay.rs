//! `POST /api/payments`: start the order's one payment, and with a card, charge it now.

use chrono::{DateTime, Utc};

use super::settle::{save, settle};
use crate::change::{Change, Write};
use crate::entities::{IntentRequest, IntentStatus, MISMATCH, Order, OrderPage, OrderStatus, Payment, PaymentStatus};
use crate::error::{Error, Result};
use crate::events::EventType;
use crate::ids::UserId;
use crate::orders;
use crate::ports::{ChangeStore, OrderStore, PaymentGateway, PaymentStore, Store, TicketStore};

/// What paying did.
#[derive(Debug)]
pub enum Outcome {
    /// The intent exists for Stripe.js to confirm (no token given).
    Started(Payment),
    /// Paid: the order is complete; with its page as `GET /api/orders/{id}` shows it, the
    /// screen a buyer sees next.
    Succeeded(Payment, Box<OrderPage>),
    /// The buyer must authenticate in the browser (3-D Secure), or the bank is processing.
    Pending(Payment),
}

const ALREADY_PAID: Error = Error::Conflict("Order is already paid");
pub(super) const DEAD_ORDER: Error = Error::Conflict("Cannot pay for a cancelled order");
const REFUNDED: Error = Error::Conflict("This order's payment was refunded");
const IN_PROGRESS: Error = Error::Conflict("A payment for this order is in progress");

/// Why a charged payment did not complete its order: the charge was not the order's, or the
/// order died while the card was charged. Either way the money went back.
fn not_completed(settled: &Payment) -> Error {
    if settled.failure_message.as_deref() == Some(MISMATCH) { Error::Conflict(MISMATCH) } else { DEAD_ORDER }
}

/// Pays for `order_id`: with `token`, charges it now (the one-step flow); without, returns the
/// order's PaymentIntent for the browser to confirm, and once the browser has confirmed it,
/// records its success at once (asked again, it asks the gateway: the buyer need not wait
/// for the webhook, which then finds the payment recorded).
pub async fn pay(
    store: &impl Store,
    gateway: &impl PaymentGateway,
    user: &UserId,
    order_id: &str,
    token: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    let order = orders::get_own(store, user, order_id).await?;
    match order.status {
        OrderStatus::Complete | OrderStatus::Disputed => return Err(ALREADY_PAID),
        OrderStatus::Cancelled => return Err(DEAD_ORDER),
        OrderStatus::Refunded => return Err(Error::Conflict("Cannot pay for a refunded order")),
        _ if !order.holds_reservation(now) => return Err(DEAD_ORDER),
        _ if order.ticket.date.is_some_and(|date| date <= now) => return Err(orders::PAST_EVENT),
        _ => {}
    }
    let (payment, started_now) = start(store, gateway, &order, now).await?;
    match payment.status {
        PaymentStatus::Succeeded => return Err(ALREADY_PAID),
        PaymentStatus::Refunding | PaymentStatus::Refunded => return Err(REFUNDED),
        _ => {}
    }
    let Some(token) = token else {
        if started_now {
            return Ok(Outcome::Started(payment));
        }
        // Started before: the browser may have confirmed it since.
        let intent = gateway.get_intent(&payment.stripe_id).await?;
        if intent.status != IntentStatus::Succeeded {
            return Ok(Outcome::Started(payment));
        }
        let settled = settle(store, gateway, &payment, intent.charge(), now, now).await?;
        return paid(store, user, settled).await;
    };

    let intent = match gateway.confirm(&payment.stripe_id, token).await {
        Ok(intent) => intent,
        Err(Error::PaymentDeclined(message)) => {
            save(store, payment.declined(Some(message.clone())), EventType::PaymentFailed, now).await?;
            return Err(Error::PaymentDeclined(message));
        }
        // An intent that cannot be confirmed in its state: paid meanwhile (a second click, the
        // browser; its webhook is on its way), or being paid by a concurrent confirmation.
        // Settle what succeeded; nothing is charged twice.
        Err(refused @ (Error::BadRequest(_) | Error::Conflict(_))) => {
            let intent = gateway.get_intent(&payment.stripe_id).await?;
            match intent.status {
                IntentStatus::Succeeded => {}
                IntentStatus::Processing | IntentStatus::RequiresConfirmation | IntentStatus::RequiresAction => {
                    return Err(IN_PROGRESS);
                }
                IntentStatus::RequiresPaymentMethod | IntentStatus::Canceled => return Err(refused),
            }
            let settled = settle(store, gateway, &payment, intent.charge(), now, now).await?;
            return Err(if settled.status == PaymentStatus::Succeeded {
                ALREADY_PAID
            } else {
                not_completed(&settled)
            });
        }
        Err(other) => return Err(other),
    };
    match intent.status {
        IntentStatus::Succeeded => {
            let settled = settle(store, gateway, &payment, intent.charge(), now, now).await?;
            paid(store, user, settled).await
        }
        IntentStatus::RequiresAction | IntentStatus::Processing => {
            let status = if intent.status == IntentStatus::Processing {
                PaymentStatus::Processing
            } else {
                PaymentStatus::RequiresAction
            };
            let waiting = payment.waiting(status, intent.client_secret);
            store.commit(&Change { payments: vec![Write::Update(waiting.clone())], ..Change::default() }).await?;
            Ok(Outcome::Pending(waiting))
        }
        other => Err(Error::Internal(anyhow::anyhow!("confirming {} left it {other:?}", payment.stripe_id))),
    }
}

/// A settled payment's answer: the order's page once it completed the order; otherwise why
/// it did not (its money went back).
async fn paid(store: &impl Store, user: &UserId, settled: Payment) -> Result<Outcome> {
    if settled.status != PaymentStatus::Succeeded {
        return Err(not_completed(&settled));
    }
    let page = order_page(store, user, settled.order_id.as_str()).await?;
    Ok(Outcome::Succeeded(settled, Box::new(page)))
}

/// The order's payment, and whether this call started it: the first call creates its one
/// PaymentIntent and marks the order `awaiting:payment`. Concurrent first calls converge on
/// one payment: the gateway's idempotency key gives them the same intent and only one
/// record commits.
async fn start(
    store: &(impl PaymentStore + ChangeStore),
    gateway: &impl PaymentGateway,
    order: &Order,
    now: DateTime<Utc>,
) -> Result<(Payment, bool)> {
    if let Some(payment) = store.for_order(&order.id).await? {
        return Ok((payment, false));
    }
    let intent = gateway.create_intent(&IntentRequest::for_order(order)).await?;
    let payment = Payment::start(order, intent, now);
    let change = Change {
        orders: vec![Write::Update(order.await_payment())],
        payments: vec![Write::Insert(payment.clone())],
        ..Change::default()
    };
    match store.commit(&change).await {
        Ok(()) => Ok((payment, true)),
        Err(Error::Conflict(_)) => Ok((store.for_order(&order.id).await?.ok_or(DEAD_ORDER)?, false)),
        Err(other) => Err(other),
    }
}

/// The caller's payments for one of their orders.
pub async fn list(store: &(impl OrderStore + PaymentStore), user: &UserId, order_id: &str) -> Result<Vec<Payment>> {
    Ok(order_with_payments(store, user, order_id).await?.1)
}

/// The caller's order and its payments.
pub async fn order_with_payments(
    store: &(impl OrderStore + PaymentStore),
    user: &UserId,
    order_id: &str,
) -> Result<(Order, Vec<Payment>)> {
    let order = orders::get_own(store, user, order_id).await?;
    let payments = store.for_order(&order.id).await?.into_iter().collect();
    Ok((order, payments))
}

/// The caller's order with its payments and, once complete, its ticket's file (what the
/// ticket shows its buyer).
pub async fn order_page(
    store: &(impl OrderStore + PaymentStore + TicketStore),
    user: &UserId,
    order_id: &str,
) -> Result<OrderPage> {
    let (order, payments) = order_with_payments(store, user, order_id).await?;
    let file = if order.status == OrderStatus::Complete {
        let ticket = TicketStore::get(store, &order.ticket.id).await?;
        let sold_by_this_order = ticket.filter(|ticket| ticket.order_id.as_ref() == Some(&order.id));
        Some(sold_by_this_order.and_then(|ticket| ticket.file))
    } else {
        None
    };
    Ok(OrderPage { order, payments, file })
}
