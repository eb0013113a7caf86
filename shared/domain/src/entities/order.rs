//! An order: a buyer's reservation of a ticket, which lapses at `expires_at` unless paid.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ticket::Ticket;
use crate::error::{Error, Result};
use crate::events::{Event, EventType};
use crate::ids::{OrderId, TicketId, UserId};
use crate::money::{self, Money};
use crate::time::timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// Its payment went back in full (a refund made at the payment provider): final. A sold
    /// ticket stays off the market; a ticket the unpaid order held is for sale again.
    #[serde(rename = "refunded")]
    Refunded,
    /// Paid, and the buyer's bank contests the charge: on hold until the dispute is decided
    /// (won: `complete` again; lost: `refunded`). The ticket stays sold.
    #[serde(rename = "disputed")]
    Disputed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// When the event takes place, if the seller said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<DateTime<Utc>>,
    /// The ticket's terms version when ordered ([`Ticket::terms`]).
    #[serde(default)]
    pub terms: u64,
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
    /// When its payment went back in full (the order is `refunded`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded_at: Option<DateTime<Utc>>,
    /// A problem its buyer reported once it was complete ("ticket not received").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
    pub version: u64,
    pub created_at: DateTime<Utc>,
}

impl Order {
    /// `buyer`'s new order for `ticket`, holding it for `timeout` from `now`.
    pub fn place(buyer: UserId, ticket: &Ticket, now: DateTime<Utc>, timeout: Duration) -> Result<Order> {
        let timeout = chrono::Duration::from_std(timeout).map_err(|e| Error::internal(e, "reservation timeout"))?;
        Ok(Order {
            id: OrderId::generate(),
            user_id: buyer,
            ticket: OrderedTicket {
                id: ticket.id.clone(),
                title: ticket.title.clone(),
                price: ticket.price,
                currency: ticket.currency.clone(),
                date: ticket.date,
                terms: ticket.terms,
            },
            status: OrderStatus::Created,
            expires_at: now + timeout,
            cancel_reason: None,
            refunded_at: None,
            problem: None,
            version: 0,
            created_at: now,
        })
    }

    pub fn cancel(&self, reason: CancelReason) -> Order {
        Order { status: OrderStatus::Cancelled, cancel_reason: Some(reason), version: self.version + 1, ..self.clone() }
    }

    /// A payment has started.
    pub fn await_payment(&self) -> Order {
        Order { status: OrderStatus::AwaitingPayment, version: self.version + 1, ..self.clone() }
    }

    /// Paid.
    pub fn complete(&self) -> Order {
        Order { status: OrderStatus::Complete, cancel_reason: None, version: self.version + 1, ..self.clone() }
    }

    /// Paid, its charge contested already (the dispute was reported before the payment's
    /// news): one version on, as any transition.
    pub fn complete_disputed(&self) -> Order {
        Order { status: OrderStatus::Disputed, ..self.complete() }
    }

    /// Its charge is contested.
    pub fn dispute(&self) -> Order {
        Order { status: OrderStatus::Disputed, version: self.version + 1, ..self.clone() }
    }

    /// The dispute was decided for the seller: complete again.
    pub fn dispute_won(&self) -> Order {
        Order { status: OrderStatus::Complete, version: self.version + 1, ..self.clone() }
    }

    /// Its payment went back in full at `at`.
    pub fn refunded(&self, at: DateTime<Utc>) -> Order {
        Order { status: OrderStatus::Refunded, refunded_at: Some(at), version: self.version + 1, ..self.clone() }
    }

    /// Its buyer reports a problem with it, described by `message`, at `now`.
    pub fn report_problem(&self, message: String, now: DateTime<Utc>) -> Order {
        let problem = Problem { message, reported_at: now, resolved_at: None };
        Order { problem: Some(problem), version: self.version + 1, ..self.clone() }
    }

    /// Its problem was looked into and resolved at `now`.
    pub fn resolve_problem(&self, now: DateTime<Utc>) -> Order {
        let problem = self.problem.clone().map(|problem| Problem { resolved_at: Some(now), ..problem });
        Order { problem, version: self.version + 1, ..self.clone() }
    }

    /// A problem reported and not resolved yet.
    pub fn has_open_problem(&self) -> bool {
        self.problem.as_ref().is_some_and(|problem| problem.resolved_at.is_none())
    }

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
            refunded_at: self.refunded_at.as_ref().map(timestamp),
            problem: self.problem.as_ref().map(|problem| ProblemView {
                message: &problem.message,
                reported_at: timestamp(&problem.reported_at),
                resolved_at: problem.resolved_at.as_ref().map(timestamp),
            }),
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

    pub fn event(&self, kind: EventType, now: DateTime<Utc>) -> Result<Event> {
        Event::new(kind, self.version, &self.view(), now)
    }

    /// The state of the reservation, for `GET /api/expiration/{orderId}`.
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

/// A problem a buyer reported with a complete order: until an operator resolves it, the
/// seller's payout is held.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    pub message: String,
    pub reported_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<DateTime<Utc>>,
}

/// A [`Problem`] as its buyer sees it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProblemView<'a> {
    #[cfg_attr(feature = "openapi", schema(example = "The seller never sent the ticket."))]
    pub message: &'a str,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub reported_at: String,
    /// When an operator resolved it (the payout is no longer held for it).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub resolved_at: Option<String>,
}

/// An order as clients and event consumers see it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderView<'a> {
    pub id: &'a OrderId,
    pub user_id: &'a UserId,
    pub status: OrderStatus,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub expires_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<CancelReason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub refunded_at: Option<String>,
    /// A problem its buyer reported (`POST /api/orders/{id}/problem`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<ProblemView<'a>>,
    pub version: u64,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
    pub ticket: TicketSummary<'a>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketSummary<'a> {
    pub id: &'a TicketId,
    pub title: &'a str,
    #[serde(serialize_with = "money::serialize_decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = f64, example = 19.99))]
    pub price: Money,
    pub currency: &'a str,
}

/// `{orderId, status, expiresAt, secondsRemaining}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReservationState<'a> {
    pub order_id: &'a OrderId,
    pub status: OrderStatus,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub expires_at: String,
    pub seconds_remaining: i64,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::TicketDraft;

    fn order() -> Order {
        let draft = TicketDraft { title: "Concert".into(), price: Money::from_minor(4500), date: None, venue: None };
        let ticket = Ticket::list(UserId::from("seller"), draft, Default::default(), Utc::now());
        Order::place(UserId::from("buyer"), &ticket, "2026-11-26T10:00:00Z".parse().unwrap(), Duration::from_secs(900))
            .unwrap()
    }

    #[test]
    fn an_order_is_open_until_paid_or_cancelled_and_holds_until_it_expires() {
        let order = order();
        assert_eq!((order.status, order.version), (OrderStatus::Created, 0));
        assert_eq!(order.expires_at, "2026-11-26T10:15:00Z".parse::<DateTime<Utc>>().unwrap());
        let cases = [
            (order.clone(), true),
            (order.await_payment(), true),
            (order.complete(), false),
            (order.cancel(CancelReason::User), false),
            (order.await_payment().cancel(CancelReason::Expired), false),
        ];
        for (order, open) in cases {
            assert_eq!(order.is_open(), open, "{:?}", order.status);
            assert_eq!(order.holds_reservation(order.expires_at - chrono::Duration::seconds(1)), open);
            assert!(!order.holds_reservation(order.expires_at), "never at or after expiresAt");
        }
        let cancelled = order.cancel(CancelReason::Expired);
        assert_eq!((cancelled.cancel_reason, cancelled.version), (Some(CancelReason::Expired), 1));
        assert_eq!(cancelled.complete().cancel_reason, None, "a completed order has no cancel reason");
    }

    #[test]
    fn the_countdown_rounds_up_and_stops_at_zero() {
        let order = order();
        let state = |at: &str| order.reservation(at.parse().unwrap()).seconds_remaining;
        assert_eq!(state("2026-11-26T10:00:00Z"), 900);
        assert_eq!(state("2026-11-26T10:14:59.001Z"), 1);
        assert_eq!(state("2026-11-26T10:16:00Z"), 0);
        assert_eq!(
            order.cancel(CancelReason::User).reservation("2026-11-26T10:00:00Z".parse().unwrap()).seconds_remaining,
            0
        );
    }
}
