//! The reservations a buyer holds: one record per buyer, listing the orders placed and when
//! each lapses. Placing an order rewrites it at the version read, in the order's own change,
//! so that the limit on open reservations is decided atomically, as every other rule is.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::order::Order;
use crate::ids::{OrderId, UserId};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Holds {
    pub buyer: UserId,
    /// Orders placed, with when their reservation lapses. An order closed since (paid,
    /// cancelled, expired) stays listed until the next placement drops it.
    pub orders: Vec<Hold>,
    pub version: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hold {
    pub order_id: OrderId,
    pub until: DateTime<Utc>,
}

impl Holds {
    /// The record of a buyer who never placed an order.
    pub fn none(buyer: UserId) -> Holds {
        Holds { buyer, orders: Vec::new(), version: 0 }
    }

    /// The holds within their reservation at `now` (whether their orders are still open is
    /// for the caller to check).
    pub fn unlapsed(&self, now: DateTime<Utc>) -> impl Iterator<Item = &Hold> {
        self.orders.iter().filter(move |hold| hold.until > now)
    }

    /// The next version: `kept` and the new `order`.
    pub fn with(&self, kept: Vec<Hold>, order: &Order, stored: bool) -> Holds {
        let mut orders = kept;
        orders.push(Hold { order_id: order.id.clone(), until: order.expires_at });
        Holds { buyer: self.buyer.clone(), orders, version: if stored { self.version + 1 } else { 0 } }
    }
}
