//! The expiry of reservations. An order's expiry is scheduled when the order is created and
//! unscheduled when it is cancelled; it runs at `expires_at`, and a sweep catches every
//! open order whose expiry never ran. Late, early (refused, then retried) or repeated runs
//! change nothing they should not.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tracing::Instrument;

use crate::entities::{CancelReason, IntentStatus, Order, OrderEventData, OrderStatus, PaymentStatus};
use crate::error::{Error, Result};
use crate::events::{Event, EventType};
use crate::ids::OrderId;
use crate::ports::{ChangeStore, ExpirationScheduler, Inbox, OrderStore, PaymentGateway, Store, TicketStore};
use crate::{change, inbox, orders, payments};

/// What a schedule hands the expiry: `{"orderId": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpirationInput {
    pub order_id: String,
}

/// What the expiry did with an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiration {
    /// Cancelled as expired; its ticket released if it still held it.
    Expired,
    /// Paid meanwhile (its payment's news had not come yet): completed instead.
    Completed,
    /// Already cancelled, but still holding its ticket: the ticket was released.
    Released,
    /// Its payment had gone back in full meanwhile: ended `refunded`, its ticket released.
    Refunded,
    /// Nothing to do: unknown, paid, or cancelled and holding nothing.
    Ignored,
}

/// The order's reservation time has come. An unpaid order is cancelled and its ticket
/// released if the order still holds it; an order whose payment already succeeded at the
/// gateway is completed instead; a ticket still held by an order that is no longer open is
/// released.
pub async fn expire(
    store: &impl Store,
    gateway: &impl PaymentGateway,
    id: &OrderId,
    now: DateTime<Utc>,
) -> Result<Expiration> {
    let Some(order) = OrderStore::get(store, id).await? else { return Ok(Expiration::Ignored) };
    if !order.is_open() {
        // A refund claimed as its order was cancelled, whose gateway call never finished.
        if order.status == OrderStatus::Cancelled
            && let Some(payment) = store.for_order(&order.id).await?
            && payment.status == PaymentStatus::Refunding
        {
            payments::finish_refund(store, gateway, &payment, now).await?;
        }
        return release_from(store, &order, now).await;
    }
    if now < order.expires_at {
        return Err(Error::Internal(anyhow::anyhow!("expiry of order {id} ran before {}", order.expires_at)));
    }
    if order.status == OrderStatus::AwaitingPayment
        && let Some(payment) = store.for_order(&order.id).await?
    {
        if payment.status == PaymentStatus::Refunded {
            // Refunded at the provider while the order stood open (recorded before refunds ended orders).
            let mut change = change::Change::default();
            payments::refund_order(store, &order, &mut change, now).await?;
            store.commit(&change).await?;
            return Ok(Expiration::Refunded);
        }
        let intent = gateway.get_intent(&payment.stripe_id).await?;
        if intent.status == IntentStatus::Succeeded {
            // Paid while the reservation held, as far as anyone can tell: the expiry runs as the
            // reservation lapses, so a gateway that does not say when counts as in time.
            let paid_at = intent.succeeded_at.unwrap_or(order.expires_at - chrono::Duration::milliseconds(1));
            let settled = payments::settle(store, gateway, &payment, intent.charge(), paid_at, now).await?;
            if settled.status == PaymentStatus::Succeeded {
                return Ok(Expiration::Completed);
            }
            // Refunded: either its order was ended with the claim, or the charge was not the
            // order's and the order, left as it was, lapses now.
            let Some(order) = OrderStore::get(store, id).await?.filter(Order::is_open) else {
                return Ok(Expiration::Expired);
            };
            orders::cancel_and_release(store, &order, CancelReason::Expired, now).await?;
            return Ok(Expiration::Expired);
        }
    }
    orders::cancel_and_release(store, &order, CancelReason::Expired, now).await?;
    Ok(Expiration::Expired)
}

/// Frees the ticket a cancelled or completed order still holds as reserved.
async fn release_from(
    store: &(impl TicketStore + ChangeStore),
    order: &Order,
    now: DateTime<Utc>,
) -> Result<Expiration> {
    let mut change = change::Change::default();
    if !change.let_go(TicketStore::get(store, &order.ticket.id).await?.as_ref(), order, now)? {
        return Ok(Expiration::Ignored);
    }
    store.commit(&change).await?;
    tracing::warn!(order = %order.id, ticket = %order.ticket.id, "a ticket held by an order that is no longer open was released");
    Ok(Expiration::Released)
}

/// How long past `expires_at` an open order waits for its schedule before a sweep expires it.
pub const SWEEP_GRACE: chrono::Duration = chrono::Duration::minutes(2);

/// Expires every open order whose reservation lapsed more than [`SWEEP_GRACE`] ago: the
/// orders whose schedule was never created, or whose expiry kept failing. Returns how many
/// it expired; one that fails is left for the next sweep.
pub async fn sweep(store: &impl Store, gateway: &impl PaymentGateway, now: DateTime<Utc>) -> Result<usize> {
    const BATCH: usize = 100;
    let overdue = store.overdue(now - SWEEP_GRACE, BATCH).await?;
    let mut expired = 0;
    for order in &overdue {
        match expire(store, gateway, order, now).instrument(crate::story::of(order)).await {
            Ok(Expiration::Ignored) => {}
            Ok(_) => expired += 1,
            Err(error) => tracing::error!(error = ?error, order = %order, "sweeping an overdue order failed"),
        }
    }
    if !overdue.is_empty() {
        tracing::warn!(overdue = overdue.len(), expired, "the sweep expired orders whose expiry had not run");
    }
    Ok(expired)
}

/// The event types the expiration service is routed.
pub const CONSUMES: [EventType; 2] = [EventType::OrderCreated, EventType::OrderCancelled];

/// The expiration service's inbox name.
pub const CONSUMER: &str = "expiration";

/// Orders that lapse this soon (or lapsed already) are not scheduled: their expiry runs in
/// the delivery itself, as soon as they are due.
pub const TOO_SOON: chrono::Duration = chrono::Duration::minutes(1);

/// The expiration service's consumer rule, once per event: an order's expiry is scheduled
/// when it is created, or run in the delivery when the order is due within
/// [`TOO_SOON`] (after `wait`ing until it is due); it is unscheduled when the order is
/// cancelled, and its payment, if still payable, cancelled at the gateway
/// ([`payments::cancel_unpaid`]).
pub async fn track<W, Wait>(
    scheduler: &impl ExpirationScheduler,
    store: &impl Store,
    gateway: &impl PaymentGateway,
    inbox: &impl Inbox,
    event: &Event,
    now: DateTime<Utc>,
    wait: W,
) -> Result<()>
where
    W: Fn(std::time::Duration) -> Wait,
    Wait: std::future::Future<Output = ()>,
{
    inbox::once(inbox, CONSUMER, &event.id, now, || async {
        match event.kind {
            EventType::OrderCreated => {
                let order: OrderEventData = event.data()?;
                if order.expires_at > now + TOO_SOON {
                    return scheduler.schedule(&order.id, order.expires_at).await;
                }
                if let Ok(early) = (order.expires_at - now).to_std() {
                    wait(early).await;
                }
                expire(store, gateway, &order.id, order.expires_at.max(Utc::now())).await.map(|_| ())
            }
            EventType::OrderCancelled => {
                let order: OrderEventData = event.data()?;
                scheduler.cancel(&order.id).await?;
                payments::cancel_unpaid(store, gateway, &order.id, now).await
            }
            _ => Ok(()),
        }
    })
    .await
    .map(|_| ())
}
