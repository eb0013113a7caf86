//! Placing, reading and cancelling orders. Every change of an order and of the ticket it
//! holds is one conditional [`Change`], so a ticket is never held by two live orders.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::change::{Change, STALE, Write};
use crate::entities::{CancelReason, Holds, Order, OrderStatus, TicketStatus};
use crate::error::{Error, Result};
use crate::events::EventType;
use crate::ids::{OrderId, UserId};
use crate::page::{Page, PageRequest};
use crate::ports::{ChangeStore, OrderStore, TicketStore};
use crate::tickets;

use super::ReservationRules;

const ORDER_NOT_FOUND: Error = Error::NotFound("Order not found");
const ALREADY_RESERVED: Error = Error::Conflict("Ticket is already reserved");
pub const TOO_MANY_RESERVATIONS: Error =
    Error::Conflict("You hold as many reservations as you may: pay for or cancel one to order another");
/// The event of a ticket has taken place: it can no longer be ordered nor paid for.
pub const PAST_EVENT: Error = Error::Conflict("This event has already taken place");
/// What a buyer who let a ticket go reads when ordering it again before the cool-down ends.
pub const TOO_SOON_AGAIN: &str = "You let this ticket go moments ago; you can order it again later";

/// Reserves `ticket_id` for `buyer` until `now + timeout`. A reservation that lapsed but
/// was not yet expired is cancelled in the same change. A buyer holds at most `limit` open
/// reservations: the change rewrites the buyer's holds at the version read, so that of two
/// racing orders one is refused and placed again over what the other did.
pub async fn place(
    store: &(impl OrderStore + TicketStore + ChangeStore),
    buyer: UserId,
    ticket_id: &str,
    timeout: Duration,
    rules: impl Into<ReservationRules>,
    now: DateTime<Utc>,
) -> Result<Order> {
    const ATTEMPTS: usize = 3;
    let rules = rules.into();
    for attempt in 1..=ATTEMPTS {
        match try_place(store, &buyer, ticket_id, timeout, rules, now).await {
            Err(Error::Conflict(message)) if message == STALE && attempt < ATTEMPTS => continue,
            Err(Error::Conflict(message)) if message == STALE => return Err(ALREADY_RESERVED),
            outcome => return outcome,
        }
    }
    Err(ALREADY_RESERVED)
}

async fn try_place(
    store: &(impl OrderStore + TicketStore + ChangeStore),
    buyer: &UserId,
    ticket_id: &str,
    timeout: Duration,
    rules: ReservationRules,
    now: DateTime<Utc>,
) -> Result<Order> {
    let ticket = tickets::get(store, ticket_id).await?;
    if &ticket.user_id == buyer {
        return Err(Error::Conflict("You cannot order your own ticket"));
    }
    if ticket.is_past(now) {
        return Err(PAST_EVENT);
    }
    let mut change = Change::default();
    let mut holder = None;
    match ticket.status {
        TicketStatus::Available => {}
        TicketStatus::Sold => return Err(ALREADY_RESERVED),
        TicketStatus::Reserved if !ticket.reservation_lapsed(now) => return Err(ALREADY_RESERVED),
        TicketStatus::Reserved => {
            let stale = match &ticket.order_id {
                Some(id) => OrderStore::get(store, id).await?,
                None => None,
            };
            holder = stale.as_ref().map(|stale| stale.user_id.clone());
            if let Some(stale) = stale.filter(Order::is_open) {
                let cancelled = stale.cancel(CancelReason::Expired);
                change.events.push(cancelled.event(EventType::OrderCancelled, now)?);
                change.orders.push(Write::Update(cancelled));
            }
        }
    }
    let cooldown = chrono::Duration::from_std(rules.cooldown.0).map_err(|e| Error::internal(e, "cool-down"))?;
    if let Some(at) = ticket.let_go_by_at(buyer, holder.as_ref(), now).filter(|at| now < *at + cooldown) {
        let retry_after = crate::time::seconds_until(at + cooldown, now);
        return Err(Error::TooManyRequests { message: TOO_SOON_AGAIN, retry_after });
    }
    let limit = rules.limit;
    let stored = store.holds(buyer).await?;
    let holds = stored.clone().unwrap_or_else(|| Holds::none(buyer.clone()));
    let mut open = Vec::new();
    for hold in holds.unlapsed(now) {
        if OrderStore::get(store, &hold.order_id).await?.is_some_and(|order| order.is_open()) {
            open.push(hold.clone());
        }
    }
    if open.len() >= limit.0 {
        return Err(TOO_MANY_RESERVATIONS);
    }
    let order = Order::place(buyer.clone(), &ticket, now, timeout)?;
    let reserved = ticket.reserve_for(&order.id, order.expires_at);
    let holds = holds.with(open, &order, stored.is_some());
    change.events.push(order.event(EventType::OrderCreated, now)?);
    change.events.push(reserved.event(EventType::TicketUpdated, now)?);
    change.orders.push(Write::Insert(order.clone()));
    change.tickets.push(Write::Update(reserved));
    change.holds.push(if stored.is_some() { Write::Update(holds) } else { Write::Insert(holds) });
    store.commit(&change).await?;
    crate::story::about(&order.id);
    tracing::info!(ticket = %ticket.id, expires_at = %order.expires_at, "order placed");
    Ok(order)
}

/// The caller's order: 404 when there is none, 403 when it is someone else's.
pub async fn get_own(store: &impl OrderStore, user: &UserId, id: &str) -> Result<Order> {
    let id = OrderId::parse(id).ok_or(ORDER_NOT_FOUND)?;
    crate::story::about(&id);
    let order = store.get(&id).await?.ok_or(ORDER_NOT_FOUND)?;
    if &order.user_id != user {
        return Err(Error::Forbidden("You do not own this order"));
    }
    Ok(order)
}

pub async fn list(store: &impl OrderStore, buyer: &UserId, page: &PageRequest) -> Result<Page<Order>> {
    store.list(buyer, page).await
}

/// The buyer cancels: the order is `cancelled` and the ticket released at once.
/// Cancelling a cancelled order again is fine; a paid one cannot be cancelled.
pub async fn cancel(
    store: &(impl OrderStore + TicketStore + ChangeStore),
    user: &UserId,
    id: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let order = get_own(store, user, id).await?;
    match order.status {
        OrderStatus::Cancelled => Ok(()),
        OrderStatus::Complete | OrderStatus::Disputed => Err(Error::Conflict("Cannot cancel a paid order")),
        OrderStatus::Refunded => Err(Error::Conflict("Cannot cancel a refunded order")),
        OrderStatus::Created | OrderStatus::AwaitingPayment => {
            cancel_and_release(store, &order, CancelReason::User, now).await
        }
    }
}

/// Cancels `order` and frees its ticket if the ticket is still held by it, in one change.
pub(crate) async fn cancel_and_release(
    store: &(impl TicketStore + ChangeStore),
    order: &Order,
    reason: CancelReason,
    now: DateTime<Utc>,
) -> Result<()> {
    let cancelled = order.cancel(reason);
    let mut change = Change::default();
    change.events.push(cancelled.event(EventType::OrderCancelled, now)?);
    if reason == CancelReason::Expired {
        change.events.push(cancelled.event(EventType::ExpirationComplete, now)?);
    }
    change.let_go(TicketStore::get(store, &order.ticket.id).await?.as_ref(), order, now)?;
    change.orders.push(Write::Update(cancelled));
    store.commit(&change).await.map_err(|error| match error {
        Error::Conflict(_) => Error::Conflict("The order changed meanwhile; try again"),
        other => other,
    })?;
    crate::story::about(&order.id);
    tracing::info!(reason = ?reason, "order cancelled");
    Ok(())
}
