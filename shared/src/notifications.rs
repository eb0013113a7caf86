//! Notifications: what a user is told about their orders, recorded per user and handed
//! to a delivery integration. Each comes from one event and takes its id, so a
//! redelivered event never notifies twice.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::events::{Event, EventType};
use crate::orders::{CancelReason, OrderEventData};
use crate::ports::{NotificationSender, NotificationStore};
use crate::users::UserId;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    /// The id of the event it comes from.
    pub id: String,
    pub user_id: UserId,
    /// `reservation.created`, `reservation.expired`, `order.cancelled`, `payment.receipt` or
    /// `payment.refunded`.
    pub kind: String,
    pub message: String,
    pub order_id: String,
    /// The event's time (milliseconds, UTC).
    pub created_at: DateTime<Utc>,
}

/// The event types the notifications consumer is routed.
pub const CONSUMES: [EventType; 4] =
    [EventType::OrderCreated, EventType::OrderCancelled, EventType::PaymentSucceeded, EventType::PaymentRefunded];

/// The fields of a `payment.*` event a notification uses.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PaymentEventData {
    order_id: String,
    user_id: UserId,
    amount: serde_json::Number,
    currency: String,
}

/// The notification an event calls for, if any.
pub fn for_event(event: &Event) -> Result<Option<Notification>> {
    if matches!(event.kind, EventType::PaymentSucceeded | EventType::PaymentRefunded) {
        let payment: PaymentEventData = event.data()?;
        let decimal = payment.amount.to_string();
        let decimal = crate::money::Money::parse_decimal(&decimal).map(|amount| amount.to_string()).unwrap_or(decimal);
        let amount = format!("{decimal} {}", payment.currency.to_uppercase());
        let (kind, message) = if event.kind == EventType::PaymentSucceeded {
            ("payment.receipt", format!("We received your payment of {amount}. Your ticket is yours."))
        } else {
            ("payment.refunded", format!("Your payment of {amount} was refunded: the order could not be completed."))
        };
        return Ok(Some(Notification {
            id: event.id.clone(),
            user_id: payment.user_id,
            kind: kind.to_owned(),
            message,
            order_id: payment.order_id,
            created_at: event.time,
        }));
    }
    let (kind, message) = match event.kind {
        EventType::OrderCreated => {
            let order: OrderEventData = event.data()?;
            let until = order.expires_at.to_rfc3339_opts(SecondsFormat::Secs, true);
            (
                "reservation.created",
                format!("You reserved \"{}\" until {until}. Pay before then to keep it.", order.ticket.title),
            )
        }
        EventType::OrderCancelled => {
            let order: OrderEventData = event.data()?;
            match order.cancel_reason {
                Some(CancelReason::Expired) => (
                    "reservation.expired",
                    format!("Your reservation of \"{}\" expired and the ticket was released.", order.ticket.title),
                ),
                _ => ("order.cancelled", format!("Your order for \"{}\" was cancelled.", order.ticket.title)),
            }
        }
        _ => return Ok(None),
    };
    let order: OrderEventData = event.data()?;
    Ok(Some(Notification {
        id: event.id.clone(),
        user_id: order.user_id,
        kind: kind.to_owned(),
        message,
        order_id: order.id.to_string(),
        created_at: event.time,
    }))
}

/// Records the notification `event` calls for and hands it to delivery. Both steps are
/// repeatable: a redelivery stores nothing new and sends the same notification id again.
pub async fn notify(store: &impl NotificationStore, sender: &impl NotificationSender, event: &Event) -> Result<()> {
    let Some(notification) = for_event(event)? else { return Ok(()) };
    store.add(&notification).await?;
    sender.send(&notification).await
}

/// Delivery for local runs: the notification goes to the log.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogSender;

impl NotificationSender for LogSender {
    async fn send(&self, notification: &Notification) -> Result<()> {
        tracing::info!(user = %notification.user_id, kind = %notification.kind, message = %notification.message, "notification");
        Ok(())
    }
}
