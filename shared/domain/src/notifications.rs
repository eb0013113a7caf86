//! Notifications: what a user is told about their orders, recorded per user and handed to
//! a delivery integration. Each comes from one event and takes its id, so a redelivered
//! event never notifies twice.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;

use crate::entities::{CancelReason, Notification, OrderEventData};
use crate::error::Result;
use crate::events::{Event, EventType};
use crate::ids::UserId;
use crate::inbox;
use crate::mail::MailReservations;
use crate::money::Money;
use crate::ports::{Inbox, NotificationSender, NotificationStore};

/// The event types the notifications consumer is routed.
pub const CONSUMES: [EventType; 10] = [
    EventType::OrderCreated,
    EventType::TicketDelivered,
    EventType::OrderCancelled,
    EventType::OrderCompleted,
    EventType::PaymentFailed,
    EventType::PaymentRefunded,
    EventType::PaymentDisputed,
    EventType::PasswordResetRequested,
    EventType::EmailVerificationRequested,
    EventType::PayoutPaid,
];

/// The fields of a `payment.*` (or `payout.paid`: the seller, and the net) event a
/// notification uses.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PaymentEventData {
    order_id: String,
    user_id: UserId,
    amount: serde_json::Number,
    currency: String,
}

/// The fields of `order.completed` its receipt uses: the order paid, at its ticket's price
/// (the payment's amount: a charge of another amount completes nothing).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CompletedOrder {
    id: String,
    user_id: UserId,
    ticket: PricedTicket,
}

#[derive(Debug, Deserialize)]
struct PricedTicket {
    price: serde_json::Number,
    currency: String,
}

/// An event's decimal amount as a notification says it: `45.00 USD`.
fn amount(decimal: &serde_json::Number, currency: &str) -> String {
    let decimal = decimal.to_string();
    let decimal = Money::parse_decimal(&decimal).map(|amount| amount.to_string()).unwrap_or(decimal);
    format!("{decimal} {}", currency.to_uppercase())
}

/// The data of `user.password_reset_requested` (`userId` null for an address without an
/// account) and `user.email_verification_requested`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AccountNotice {
    user_id: Option<UserId>,
}

/// The notification an event calls for, if any (an account notice has no order: `""`).
pub fn for_event(event: &Event) -> Result<Option<Notification>> {
    let notification = |user_id, order_id, kind: &str, message| Notification {
        id: event.id.clone(),
        user_id,
        kind: kind.to_owned(),
        message,
        order_id,
        created_at: event.time,
    };
    Ok(Some(match event.kind {
        EventType::PaymentFailed | EventType::PaymentRefunded | EventType::PaymentDisputed | EventType::PayoutPaid => {
            let payment: PaymentEventData = event.data()?;
            let amount = amount(&payment.amount, &payment.currency);
            let (kind, message) = match event.kind {
                EventType::PaymentFailed => (
                    "payment.failed",
                    format!(
                        "Your payment of {amount} did not go through: pay with another card while your \
                         reservation holds."
                    ),
                ),
                EventType::PayoutPaid => (
                    crate::mail::PAYOUT_PAID,
                    format!(
                        "We sent you {amount} for your sale: it reaches your bank on your payout account's schedule."
                    ),
                ),
                EventType::PaymentDisputed => (
                    "payment.disputed",
                    format!("Your bank disputes your payment of {amount}; the order is on hold until it decides."),
                ),
                _ => ("payment.refunded", format!("Your payment of {amount} was refunded.")),
            };
            notification(payment.user_id, payment.order_id, kind, message)
        }
        EventType::TicketDelivered => {
            let delivery: crate::files::DeliveryEventData = event.data()?;
            let message = format!("Your ticket for \"{}\" is ready: download it from your order.", delivery.title);
            notification(delivery.user_id, delivery.order_id.to_string(), "ticket.ready", message)
        }
        // The receipt: the order the payment completed (its payment's `payment.succeeded` is
        // stored with it and published to nobody, one event less per purchase).
        EventType::OrderCompleted => {
            let order: CompletedOrder = event.data()?;
            let amount = amount(&order.ticket.price, &order.ticket.currency);
            let message = format!("We received your payment of {amount}. Your ticket is yours.");
            notification(order.user_id, order.id, "payment.receipt", message)
        }
        EventType::OrderCreated => {
            let order: OrderEventData = event.data()?;
            let until = order.expires_at.to_rfc3339_opts(SecondsFormat::Secs, true);
            let message = format!("You reserved \"{}\" until {until}. Pay before then to keep it.", order.ticket.title);
            notification(order.user_id, order.id.to_string(), crate::mail::RESERVATION, message)
        }
        EventType::PasswordResetRequested => {
            let asked: AccountNotice = event.data()?;
            let Some(user_id) = asked.user_id else { return Ok(None) };
            let message = "You asked to reset your password: we mailed you a link that works once, within 30 \
                           minutes. If it was not you, ignore it: your password stays as it is.";
            notification(user_id, String::new(), crate::mail::RESET, message.to_owned())
        }
        EventType::EmailVerificationRequested => {
            let asked: AccountNotice = event.data()?;
            let Some(user_id) = asked.user_id else { return Ok(None) };
            let message = "Verify your e-mail address: we mailed you a link that works once, within 24 hours. \
                           Connecting a payout account needs it.";
            notification(user_id, String::new(), crate::mail::VERIFY, message.to_owned())
        }
        EventType::OrderCancelled => {
            let order: OrderEventData = event.data()?;
            let (kind, message) = match order.cancel_reason {
                Some(CancelReason::Expired) => (
                    "reservation.expired",
                    format!("Your reservation of \"{}\" expired and the ticket was released.", order.ticket.title),
                ),
                _ => ("order.cancelled", format!("Your order for \"{}\" was cancelled.", order.ticket.title)),
            };
            notification(order.user_id, order.id.to_string(), kind, message)
        }
        _ => return Ok(None),
    }))
}

/// The notifications service's inbox name.
pub const CONSUMER: &str = "notifications";

/// Records the notification `event` calls for and hands it to delivery, once per event (a
/// new reservation's only when `reservations` are mailed: nothing else reads the outbound
/// queue, and a message nobody mails still costs its delivery). Both steps are repeatable, so
/// a delivery interrupted between them completes on its retry: the store keeps one
/// notification per id, and the sender sends one message per id.
pub async fn notify(
    (store, sender, inbox): (&impl NotificationStore, &impl NotificationSender, &impl Inbox),
    reservations: MailReservations,
    event: &Event,
    now: DateTime<Utc>,
) -> Result<()> {
    let Some(notification) = for_event(event)? else { return Ok(()) };
    inbox::once(inbox, CONSUMER, &event.id, now, || async {
        store.add(&notification).await?;
        if reservations.delivers(&notification.kind) { sender.send(&notification).await } else { Ok(()) }
    })
    .await
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::entities::{Intent, IntentStatus, Order, Payment, Ticket, TicketDraft};

    #[test]
    fn what_each_event_notifies() {
        let now = "2026-11-26T10:00:00Z".parse().unwrap();
        let draft = TicketDraft { title: "Concert".into(), price: Money::from_minor(4500), date: None, venue: None };
        let ticket = Ticket::list(UserId::from("seller"), draft, Default::default(), now);
        let order = Order::place(UserId::from("buyer"), &ticket, now, Duration::from_secs(900)).unwrap();
        let intent = Intent {
            id: "pi_1".into(),
            status: IntentStatus::Succeeded,
            amount: 4500,
            currency: "usd".into(),
            client_secret: None,
            succeeded_at: None,
            livemode: false,
        };
        let payment = Payment::start(&order, intent, now);
        let cases = [
            (
                order.event(EventType::OrderCreated, now),
                Some((
                    "reservation.created",
                    "You reserved \"Concert\" until 2026-11-26T10:15:00Z. Pay before then to keep it.",
                )),
            ),
            (
                order.cancel(CancelReason::Expired).event(EventType::OrderCancelled, now),
                Some(("reservation.expired", "Your reservation of \"Concert\" expired and the ticket was released.")),
            ),
            (
                order.cancel(CancelReason::User).event(EventType::OrderCancelled, now),
                Some(("order.cancelled", "Your order for \"Concert\" was cancelled.")),
            ),
            (payment.succeed().event(EventType::PaymentSucceeded, now), None),
            (
                payment.refund(None).event(EventType::PaymentRefunded, now),
                Some(("payment.refunded", "Your payment of 45.00 USD was refunded.")),
            ),
            (
                payment.declined(None).event(EventType::PaymentFailed, now),
                Some((
                    "payment.failed",
                    "Your payment of 45.00 USD did not go through: pay with another card while your reservation \
                     holds.",
                )),
            ),
            (
                order.complete().event(EventType::OrderCompleted, now),
                Some(("payment.receipt", "We received your payment of 45.00 USD. Your ticket is yours.")),
            ),
            (
                crate::files::delivered(&ticket.sell_to(&order.id), &order.complete(), now),
                Some(("ticket.ready", "Your ticket for \"Concert\" is ready: download it from your order.")),
            ),
            (ticket.event(EventType::TicketCreated, now), None),
        ];
        for (event, expected) in cases {
            let event = event.unwrap();
            let notification = for_event(&event).unwrap();
            assert_eq!(
                notification.as_ref().map(|n| (n.kind.as_str(), n.message.as_str())),
                expected,
                "{:?}",
                event.kind
            );
            if let Some(notification) = notification {
                assert_eq!(
                    (notification.id, notification.user_id, notification.order_id),
                    (event.id, UserId::from("buyer"), order.id.to_string())
                );
            }
        }
    }
}
