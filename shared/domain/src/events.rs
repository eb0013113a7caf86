//! Domain events: one envelope for every event the services exchange.

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "ticket.created")]
    TicketCreated,
    #[serde(rename = "ticket.updated")]
    TicketUpdated,
    #[serde(rename = "ticket.deleted")]
    TicketDeleted,
    /// A sold ticket's file is ready for its buyer (the sale completed with a file, or a
    /// file arrived for a complete sale).
    #[serde(rename = "ticket.delivered")]
    TicketDelivered,
    #[serde(rename = "order.created")]
    OrderCreated,
    #[serde(rename = "order.cancelled")]
    OrderCancelled,
    #[serde(rename = "expiration.complete")]
    ExpirationComplete,
    #[serde(rename = "order.completed")]
    OrderCompleted,
    #[serde(rename = "payment.succeeded")]
    PaymentSucceeded,
    #[serde(rename = "payment.failed")]
    PaymentFailed,
    #[serde(rename = "payment.refunded")]
    PaymentRefunded,
    #[serde(rename = "payment.disputed")]
    PaymentDisputed,
    /// Someone asked for a password reset of an address: `{userId}`, the account's id, or
    /// null when the address has none (the request does the same work either way). No
    /// token: the mail sender mints it.
    #[serde(rename = "user.password_reset_requested")]
    PasswordResetRequested,
    /// An account's address is to be verified (at sign-up, or asked again): `{userId}`. No
    /// token: the mail sender mints it.
    #[serde(rename = "user.email_verification_requested")]
    EmailVerificationRequested,
    /// A seller's payout was transferred to their payout account: `{orderId, userId (the
    /// seller), ticketId, amount (the net, decimal), currency, version}`.
    #[serde(rename = "payout.paid")]
    PayoutPaid,
}

impl EventType {
    pub const ALL: [EventType; 15] = [
        EventType::TicketCreated,
        EventType::TicketUpdated,
        EventType::TicketDeleted,
        EventType::TicketDelivered,
        EventType::OrderCreated,
        EventType::OrderCancelled,
        EventType::ExpirationComplete,
        EventType::OrderCompleted,
        EventType::PaymentSucceeded,
        EventType::PaymentFailed,
        EventType::PaymentRefunded,
        EventType::PaymentDisputed,
        EventType::PasswordResetRequested,
        EventType::EmailVerificationRequested,
        EventType::PayoutPaid,
    ];

    /// The envelope's `type` (and the bus's `detail-type`).
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::TicketCreated => "ticket.created",
            EventType::TicketUpdated => "ticket.updated",
            EventType::TicketDeleted => "ticket.deleted",
            EventType::TicketDelivered => "ticket.delivered",
            EventType::OrderCreated => "order.created",
            EventType::OrderCancelled => "order.cancelled",
            EventType::ExpirationComplete => "expiration.complete",
            EventType::OrderCompleted => "order.completed",
            EventType::PaymentSucceeded => "payment.succeeded",
            EventType::PaymentFailed => "payment.failed",
            EventType::PaymentRefunded => "payment.refunded",
            EventType::PaymentDisputed => "payment.disputed",
            EventType::PasswordResetRequested => "user.password_reset_requested",
            EventType::EmailVerificationRequested => "user.email_verification_requested",
            EventType::PayoutPaid => "payout.paid",
        }
    }

    /// The service that owns the event (the bus's `source`).
    pub fn source(self) -> &'static str {
        match self {
            EventType::TicketCreated
            | EventType::TicketUpdated
            | EventType::TicketDeleted
            | EventType::TicketDelivered => "ticketing.tickets",
            EventType::OrderCreated | EventType::OrderCancelled | EventType::OrderCompleted => "ticketing.orders",
            EventType::PaymentSucceeded
            | EventType::PaymentFailed
            | EventType::PaymentRefunded
            | EventType::PaymentDisputed => "ticketing.payments",
            EventType::ExpirationComplete => "ticketing.expiration",
            EventType::PasswordResetRequested | EventType::EmailVerificationRequested => "ticketing.users",
            EventType::PayoutPaid => "ticketing.payouts",
        }
    }
}

/// `{type, id, time, version, data}`: `id` is unique per event (consumers deduplicate by it),
/// `version` is the version of the entity the event is about (consumers order by it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    #[serde(rename = "type")]
    pub kind: EventType,
    pub id: String,
    pub time: DateTime<Utc>,
    pub version: u64,
    pub data: serde_json::Value,
}

impl Event {
    /// The order the event is about, if any: an order's own id, or the `orderId` it names.
    pub fn order_id(&self) -> Option<&str> {
        let field = if self.kind.as_str().starts_with("order.") { "id" } else { "orderId" };
        self.data[field].as_str()
    }

    pub fn new(kind: EventType, version: u64, data: &impl Serialize, time: DateTime<Utc>) -> Result<Self> {
        let data = serde_json::to_value(data).map_err(|e| Error::internal(e, "encoding event data"))?;
        // Milliseconds, as every time the API shows.
        Ok(Self { kind, id: ulid::Ulid::new().to_string(), time: time.trunc_subsecs(3), version, data })
    }

    /// `data` as the type its event type carries.
    pub fn data<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_value(self.data.clone())
            .map_err(|e| Error::internal(e, format!("reading {} data", self.kind.as_str())))
    }
}

/// Whether an event about an entity at `incoming` version should change a view that has
/// already applied `applied`: only a newer version does, so a redelivered or late (older)
/// event changes nothing.
pub fn is_newer(incoming: u64, applied: Option<u64>) -> bool {
    applied.is_none_or(|applied| incoming > applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_has_type_id_time_version_and_data() {
        let time = "2026-11-26T09:30:00Z".parse().unwrap();
        let event = Event::new(EventType::TicketCreated, 3, &serde_json::json!({ "id": "t1" }), time).unwrap();
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], "ticket.created");
        assert_eq!(json["time"], "2026-11-26T09:30:00Z");
        assert_eq!(json["version"], 3);
        assert_eq!(json["data"]["id"], "t1");
        assert_eq!(json["id"].as_str().unwrap().len(), 26);
        assert_eq!(serde_json::from_value::<Event>(json).unwrap(), event);
    }

    #[test]
    fn only_a_newer_version_is_applied() {
        assert!(is_newer(0, None));
        assert!(is_newer(3, Some(2)));
        assert!(!is_newer(2, Some(2)), "a redelivery");
        assert!(!is_newer(1, Some(2)), "a late, older event");
    }

    #[test]
    fn an_event_names_its_order_by_its_own_id_or_the_order_id_it_carries() {
        let at = Utc::now();
        let order = Event::new(EventType::OrderCreated, 0, &serde_json::json!({ "id": "01KORDER" }), at).unwrap();
        let payment =
            Event::new(EventType::PaymentSucceeded, 0, &serde_json::json!({ "orderId": "01KPAID" }), at).unwrap();
        let ticket = Event::new(EventType::TicketCreated, 0, &serde_json::json!({ "id": "01KTICKET" }), at).unwrap();
        assert_eq!(
            (order.order_id(), payment.order_id(), ticket.order_id()),
            (Some("01KORDER"), Some("01KPAID"), None)
        );
    }

    #[test]
    fn every_type_names_its_source() {
        for kind in EventType::ALL {
            let json = serde_json::to_value(kind).unwrap();
            assert_eq!(json, kind.as_str());
            assert!(kind.source().starts_with("ticketing."));
        }
    }
}
