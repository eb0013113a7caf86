//! Orders: a buyer reserves a ticket by ordering it; the reservation lapses at
//! `expires_at` unless paid. Every change of an order and of the ticket it holds is one
//! conditional transaction, so a ticket is never held by two live orders.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::events::{Event, EventType};
use crate::money::{self, Money};
use crate::pagination::{Page, PageRequest};
use crate::payments::Payment;
use crate::ports::{ExpiryScheduler, OrderStore, TicketStore};
use crate::tickets::{self, Ticket, TicketId, TicketStatus, timestamp};
use crate::users::UserId;

ulid_id!(
    /// Opaque order id. It also names the order's expiry schedule.
    OrderId
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderStatus {
    #[serde(rename = "created")]
    Created,
    /// A payment has been started.
    #[serde(rename = "awaiting:payment")]
    AwaitingPayment,
    /// Paid.
    #[serde(rename = "complete")]
    Complete,
    #[serde(rename = "cancelled")]
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CancelReason {
    /// The buyer cancelled.
    User,
    /// The reservation lapsed unpaid.
    Expired,
}

/// The ticket as it was when ordered: what the buyer pays for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderedTicket {
    pub id: TicketId,
    pub title: String,
    pub price: Money,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub id: OrderId,
    pub user_id: UserId,
    pub ticket: OrderedTicket,
    pub status: OrderStatus,
    pub expires_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<CancelReason>,
    pub version: u64,
    pub created_at: DateTime<Utc>,
}

impl Order {
    /// Neither paid nor cancelled.
    pub fn is_open(&self) -> bool {
        matches!(self.status, OrderStatus::Created | OrderStatus::AwaitingPayment)
    }

    /// Open and within its reservation: the ticket is this order's.
    pub fn holds_reservation(&self, now: DateTime<Utc>) -> bool {
        self.is_open() && now < self.expires_at
    }

    pub fn view(&self) -> OrderView<'_> {
        OrderView {
            id: &self.id,
            user_id: &self.user_id,
            status: self.status,
            expires_at: timestamp(&self.expires_at),
            cancel_reason: self.cancel_reason,
            version: self.version,
            created_at: timestamp(&self.created_at),
            ticket: TicketSummary {
                id: &self.ticket.id,
                title: &self.ticket.title,
                price: self.ticket.price,
                currency: &self.ticket.currency,
            },
        }
    }

    pub(crate) fn event(&self, kind: EventType, now: DateTime<Utc>) -> Result<Event> {
        Event::new(kind, self.version, &self.view(), now)
    }
}

/// An order as clients and event consumers see it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderView<'a> {
    pub id: &'a OrderId,
    pub user_id: &'a UserId,
    pub status: OrderStatus,
    pub expires_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<CancelReason>,
    pub version: u64,
    pub created_at: String,
    pub ticket: TicketSummary<'a>,
}

#[derive(Debug, Serialize)]
pub struct TicketSummary<'a> {
    pub id: &'a TicketId,
    pub title: &'a str,
    #[serde(serialize_with = "money::serialize_decimal")]
    pub price: Money,
    pub currency: &'a str,
}

/// The data of an `order.*` event, as consumers read it back.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderEventData {
    pub id: OrderId,
    pub user_id: UserId,
    pub status: OrderStatus,
    pub expires_at: DateTime<Utc>,
    #[serde(default)]
    pub cancel_reason: Option<CancelReason>,
    pub ticket: TicketSummaryData,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TicketSummaryData {
    pub id: TicketId,
    pub title: String,
}

/// One all-or-nothing change: orders and tickets written only at the versions they were
/// read at (`None`: the order must not exist yet), with the events that announce it.
#[derive(Debug, Clone, Default)]
pub struct OrderChange {
    pub orders: Vec<(Order, Option<u64>)>,
    pub tickets: Vec<(Ticket, u64)>,
    pub payments: Vec<(Payment, Option<u64>)>,
    pub events: Vec<Event>,
}

const ORDER_NOT_FOUND: Error = Error::NotFound("Order not found");
const ALREADY_RESERVED: Error = Error::Conflict("Ticket is already reserved");

/// Reserves `ticket_id` for `buyer` until `now + timeout`. A reservation that lapsed but
/// was not yet expired is cancelled in the same transaction.
pub async fn place(
    orders: &impl OrderStore,
    tickets: &impl TicketStore,
    buyer: UserId,
    ticket_id: &str,
    timeout: Duration,
    now: DateTime<Utc>,
) -> Result<Order> {
    let ticket = tickets::get(tickets, ticket_id).await?;
    if ticket.user_id == buyer {
        return Err(Error::Conflict("You cannot order your own ticket"));
    }
    let mut change = OrderChange::default();
    match ticket.status {
        TicketStatus::Available => {}
        TicketStatus::Sold => return Err(ALREADY_RESERVED),
        TicketStatus::Reserved => {
            if ticket.reserved_until.is_none_or(|until| now < until) {
                return Err(ALREADY_RESERVED);
            }
            let stale = match &ticket.order_id {
                Some(id) => orders.get(&OrderId(id.clone())).await?,
                None => None,
            };
            if let Some(stale) = stale.filter(Order::is_open) {
                let cancelled = cancelled(&stale, CancelReason::Expired);
                change.events.push(cancelled.event(EventType::OrderCancelled, now)?);
                change.orders.push((cancelled, Some(stale.version)));
            }
        }
    }
    let timeout = chrono::Duration::from_std(timeout).map_err(|e| Error::Internal(e.into()))?;
    let order = Order {
        id: OrderId::generate(),
        user_id: buyer,
        ticket: OrderedTicket {
            id: ticket.id.clone(),
            title: ticket.title.clone(),
            price: ticket.price,
            currency: ticket.currency.clone(),
        },
        status: OrderStatus::Created,
        expires_at: now + timeout,
        cancel_reason: None,
        version: 0,
        created_at: now,
    };
    let reserved = Ticket {
        status: TicketStatus::Reserved,
        order_id: Some(order.id.to_string()),
        reserved_until: Some(order.expires_at),
        version: ticket.version + 1,
        ..ticket.clone()
    };
    change.events.push(order.event(EventType::OrderCreated, now)?);
    change.events.push(reserved.event(EventType::TicketUpdated, now)?);
    change.orders.push((order.clone(), None));
    change.tickets.push((reserved, ticket.version));
    orders.commit(&change).await.map_err(|error| match error {
        Error::Conflict(_) => ALREADY_RESERVED,
        other => other,
    })?;
    Ok(order)
}

/// The caller's order: 404 when there is none, 403 when it is someone else's.
pub async fn get_own(orders: &impl OrderStore, user: &UserId, id: &str) -> Result<Order> {
    let id = OrderId::parse(id).ok_or(ORDER_NOT_FOUND)?;
    let order = orders.get(&id).await?.ok_or(ORDER_NOT_FOUND)?;
    if &order.user_id != user {
        return Err(Error::Forbidden("You do not own this order"));
    }
    Ok(order)
}

pub async fn list(orders: &impl OrderStore, buyer: &UserId, page: &PageRequest) -> Result<Page<Order>> {
    orders.list(buyer, page).await
}

/// The buyer cancels: the order is `cancelled` and the ticket released at once.
/// Cancelling a cancelled order again is fine; a paid one cannot be cancelled.
pub async fn cancel(orders: &impl OrderStore, tickets: &impl TicketStore, user: &UserId, id: &str) -> Result<()> {
    let order = get_own(orders, user, id).await?;
    match order.status {
        OrderStatus::Cancelled => Ok(()),
        OrderStatus::Complete => Err(Error::Conflict("Cannot cancel a paid order")),
        OrderStatus::Created | OrderStatus::AwaitingPayment => {
            release(orders, tickets, &order, CancelReason::User, Utc::now()).await
        }
    }
}

/// What the expiry did with an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Cancelled as expired; its ticket released if it still held it.
    Expired,
    /// Nothing to do: unknown, paid or already cancelled.
    Ignored,
}

/// The order's reservation time has come: cancel it only if it is still unpaid, release
/// the ticket only if this order still holds it. Late or repeated calls change nothing.
pub async fn expire(
    orders: &impl OrderStore,
    tickets: &impl TicketStore,
    id: &OrderId,
    now: DateTime<Utc>,
) -> Result<Expiry> {
    let Some(order) = orders.get(id).await? else { return Ok(Expiry::Ignored) };
    if !order.is_open() {
        return Ok(Expiry::Ignored);
    }
    if now < order.expires_at {
        return Err(Error::Internal(anyhow::anyhow!("expiry of order {id} ran before {}", order.expires_at)));
    }
    release(orders, tickets, &order, CancelReason::Expired, now).await?;
    Ok(Expiry::Expired)
}

fn cancelled(order: &Order, reason: CancelReason) -> Order {
    Order { status: OrderStatus::Cancelled, cancel_reason: Some(reason), version: order.version + 1, ..order.clone() }
}

/// Cancels `order` and frees its ticket if the ticket is still held by it, in one change.
async fn release(
    orders: &impl OrderStore,
    tickets: &impl TicketStore,
    order: &Order,
    reason: CancelReason,
    now: DateTime<Utc>,
) -> Result<()> {
    let cancelled = cancelled(order, reason);
    let mut change = OrderChange::default();
    change.events.push(cancelled.event(EventType::OrderCancelled, now)?);
    if reason == CancelReason::Expired {
        change.events.push(cancelled.event(EventType::ExpirationComplete, now)?);
    }
    let ticket = tickets.get(&order.ticket.id).await?;
    if let Some(ticket) =
        ticket.filter(|t| t.status == TicketStatus::Reserved && t.order_id.as_deref() == Some(order.id.as_str()))
    {
        let freed = Ticket {
            status: TicketStatus::Available,
            order_id: None,
            reserved_until: None,
            version: ticket.version + 1,
            ..ticket.clone()
        };
        change.events.push(freed.event(EventType::TicketUpdated, now)?);
        change.tickets.push((freed, ticket.version));
    }
    change.orders.push((cancelled, Some(order.version)));
    orders.commit(&change).await.map_err(|error| match error {
        Error::Conflict(_) => Error::Conflict("The order changed meanwhile; try again"),
        other => other,
    })
}

/// The state of an order's reservation, for `GET /api/expiration/{orderId}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReservationState<'a> {
    pub order_id: &'a OrderId,
    pub status: OrderStatus,
    pub expires_at: String,
    pub seconds_remaining: i64,
}

impl Order {
    pub fn reservation(&self, now: DateTime<Utc>) -> ReservationState<'_> {
        let remaining = if self.is_open() { (self.expires_at - now).num_milliseconds().max(0) } else { 0 };
        ReservationState {
            order_id: &self.id,
            status: self.status,
            expires_at: timestamp(&self.expires_at),
            seconds_remaining: (remaining + 999) / 1000,
        }
    }
}

/// The expiration service's consumer rule: an order's expiry is scheduled when it is
/// created and unscheduled when it is cancelled. Both steps are repeatable.
pub async fn track_expiry(scheduler: &impl ExpiryScheduler, event: &Event) -> Result<()> {
    match event.kind {
        EventType::OrderCreated => {
            let order: OrderEventData = event.data()?;
            scheduler.schedule(&order.id, order.expires_at).await
        }
        EventType::OrderCancelled => {
            let order: OrderEventData = event.data()?;
            scheduler.cancel(&order.id).await
        }
        _ => Ok(()),
    }
}

/// The event types the expiration service is routed.
pub const EXPIRATION_CONSUMES: [EventType; 2] = [EventType::OrderCreated, EventType::OrderCancelled];
