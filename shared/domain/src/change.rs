//! The unit of work. Every write of the marketplace is one [`Change`]: the tickets, orders
//! and payments it writes, each only at the version it was read at, and the events that
//! announce them, committed all or nothing. Either a write and its events are stored
//! together, or neither is: no event is announced for a change that did not happen, and no
//! change happens without its events.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::entities::{Holds, Order, Payment, Payout, PayoutAccount, Ticket};
use crate::error::Result;
use crate::events::{Event, EventType};

/// What a store needs to know of a record it writes conditionally.
pub trait Record: Serialize + Send + Sync {
    /// The record's key in its table.
    fn key(&self) -> &str;
    /// Starts at 0; every transition adds one.
    fn version(&self) -> u64;
}

/// Each record's key: tickets and orders by their id; payments and payouts by their order (one
/// per order); payout accounts by their seller (one per seller); a buyer's holds by the buyer.
macro_rules! records {
    ($($record:ty => $key:ident),* $(,)?) => {$(
        impl Record for $record {
            fn key(&self) -> &str {
                self.$key.as_str()
            }

            fn version(&self) -> u64 {
                self.version
            }
        }
    )*};
}

records!(
    Ticket => id,
    Order => id,
    Payment => order_id,
    Payout => order_id,
    PayoutAccount => user_id,
    Holds => buyer,
);

/// What a store answers when a record is not at the version a write expects.
pub const STALE: &str = "Changed by another request";

/// One conditional write.
#[derive(Debug, Clone, PartialEq)]
pub enum Write<T> {
    /// The record must not exist yet.
    Insert(T),
    /// Replaces the record stored at the version before this one's.
    Update(T),
    /// Removes the record stored at exactly this version.
    Delete(T),
}

impl<T: Record> Write<T> {
    pub fn record(&self) -> &T {
        match self {
            Write::Insert(record) | Write::Update(record) | Write::Delete(record) => record,
        }
    }

    /// The version the store must hold for the write to apply (`None`: nothing stored).
    pub fn expected(&self) -> Option<u64> {
        match self {
            Write::Insert(_) => None,
            Write::Update(record) => Some(record.version().saturating_sub(1)),
            Write::Delete(record) => Some(record.version()),
        }
    }

    /// The record to store, `None` for a delete.
    pub fn stored(&self) -> Option<&T> {
        match self {
            Write::Insert(record) | Write::Update(record) => Some(record),
            Write::Delete(_) => None,
        }
    }
}

/// Writes and their events, all or nothing. A store refuses the whole change with
/// `Conflict` when any record is not at the version expected.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub tickets: Vec<Write<Ticket>>,
    pub orders: Vec<Write<Order>>,
    pub payments: Vec<Write<Payment>>,
    /// A buyer's open reservations, written with the order that adds one.
    pub holds: Vec<Write<Holds>>,
    /// Sellers' payouts, written with the change of their order's money.
    pub payouts: Vec<Write<Payout>>,
    /// Sellers' payout accounts.
    pub accounts: Vec<Write<PayoutAccount>>,
    pub events: Vec<Event>,
}

impl Change {
    /// Lets go the ticket that `order` still holds, if `ticket` is that: for sale again (its
    /// buyer recorded as having let it go at `now`), with the event that announces it.
    /// Whether it did.
    pub fn let_go(&mut self, ticket: Option<&Ticket>, order: &Order, now: DateTime<Utc>) -> Result<bool> {
        let Some(ticket) = ticket.filter(|ticket| ticket.is_held_by(&order.id)) else { return Ok(false) };
        let freed = ticket.let_go_by(&order.user_id, now);
        self.events.push(freed.event(EventType::TicketUpdated, now)?);
        self.tickets.push(Write::Update(freed));
        Ok(true)
    }

    /// Adds `payout` as `update` makes it, if there is one and that changes it.
    pub fn update_payout(&mut self, payout: Option<&Payout>, update: impl FnOnce(&Payout) -> Payout) {
        if let Some(payout) = payout {
            let updated = update(payout);
            if &updated != payout {
                self.payouts.push(Write::Update(updated));
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.tickets.is_empty()
            && self.orders.is_empty()
            && self.payments.is_empty()
            && self.holds.is_empty()
            && self.payouts.is_empty()
            && self.accounts.is_empty()
            && self.events.is_empty()
    }
}
