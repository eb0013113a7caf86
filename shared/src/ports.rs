//! Ports: one small trait per capability. Services ask only for the ports they use;
//! every adapter of a port passes the same conformance suite (`tests/`).

use std::future::Future;

use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::events::Event;
use crate::notifications::Notification;
use crate::orders::{Order, OrderChange, OrderId};
use crate::pagination::{Page, PageRequest};
use crate::payments::{Intent, IntentRequest, Payment};
use crate::tickets::{Ticket, TicketFilter, TicketId};
use crate::users::{Email, User, UserId};

pub trait UserStore: Send + Sync {
    /// Stores a new user. An email already in use (compared lower-cased) is
    /// `Conflict("Email in use")`, decided atomically by the store.
    fn insert(&self, user: &User) -> impl Future<Output = Result<()>> + Send;

    fn find_by_email(&self, email: &Email) -> impl Future<Output = Result<Option<User>>> + Send;
}

/// Tickets, each write stored together with the event that announces it (the outbox):
/// if the write commits, its event is on its way; if it does not, no event exists.
pub trait TicketStore: Send + Sync {
    fn create(&self, ticket: &Ticket, event: &Event) -> impl Future<Output = Result<()>> + Send;

    /// A strongly consistent read.
    fn get(&self, id: &TicketId) -> impl Future<Output = Result<Option<Ticket>>> + Send;

    /// Replaces the ticket stored at `expected_version` with `ticket`. Any other stored
    /// version, or no ticket, is `Conflict` and changes nothing.
    fn replace(&self, ticket: &Ticket, expected_version: u64, event: &Event)
    -> impl Future<Output = Result<()>> + Send;

    /// Deletes `ticket` if it is still stored at its version; otherwise `Conflict`.
    fn delete(&self, ticket: &Ticket, event: &Event) -> impl Future<Output = Result<()>> + Send;

    /// Newest first, `page.limit` at most, after the ticket `page.after`.
    fn list(&self, filter: &TicketFilter, page: &PageRequest) -> impl Future<Output = Result<Page<Ticket>>> + Send;
}

/// Publishes domain events to the bus. Either every event is accepted or the call fails
/// (a caller retries the whole batch; consumers deduplicate by event id).
pub trait EventPublisher: Send + Sync {
    fn publish(&self, events: &[Event]) -> impl Future<Output = Result<()>> + Send;
}

/// The events each consumer has processed, by event id.
pub trait Inbox: Send + Sync {
    fn seen(&self, consumer: &str, event_id: &str) -> impl Future<Output = Result<bool>> + Send;

    /// Records that `consumer` processed `event_id`; recording twice is harmless.
    fn record(&self, consumer: &str, event_id: &str) -> impl Future<Output = Result<()>> + Send;
}

/// Orders. Every change goes through [`OrderStore::commit`]: orders and the tickets they
/// hold, each at the version it was read at, and the events, all or nothing.
pub trait OrderStore: Send + Sync {
    /// Commits `change` atomically; any version that differs (or an order that exists
    /// when it should not) is `Conflict` and changes nothing.
    fn commit(&self, change: &OrderChange) -> impl Future<Output = Result<()>> + Send;

    /// A strongly consistent read.
    fn get(&self, id: &OrderId) -> impl Future<Output = Result<Option<Order>>> + Send;

    /// A buyer's orders, newest first.
    fn list(&self, buyer: &UserId, page: &PageRequest) -> impl Future<Output = Result<Page<Order>>> + Send;

    /// The order's payment (there is at most one), read strongly consistent.
    fn payment_for(&self, order: &OrderId) -> impl Future<Output = Result<Option<Payment>>> + Send;

    /// The payment of a PaymentIntent.
    fn payment_by_intent(&self, intent_id: &str) -> impl Future<Output = Result<Option<Payment>>> + Send;
}

/// One-shot schedules that run an order's expiry at its `expires_at`.
pub trait ExpiryScheduler: Send + Sync {
    /// Schedules the expiry of `order` at `at`; scheduling it again is harmless.
    fn schedule(&self, order: &OrderId, at: DateTime<Utc>) -> impl Future<Output = Result<()>> + Send;

    /// Removes the schedule; a missing one is not an error.
    fn cancel(&self, order: &OrderId) -> impl Future<Output = Result<()>> + Send;
}

/// Per-user notifications, newest first. Adding one twice (same id) keeps one.
pub trait NotificationStore: Send + Sync {
    fn add(&self, notification: &Notification) -> impl Future<Output = Result<()>> + Send;

    fn list(&self, user: &UserId, page: &PageRequest) -> impl Future<Output = Result<Page<Notification>>> + Send;
}

/// Hands a notification to the delivery integration (email, SMS).
pub trait NotificationSender: Send + Sync {
    fn send(&self, notification: &Notification) -> impl Future<Output = Result<()>> + Send;
}

/// The payment provider (Stripe).
pub trait PaymentGateway: Send + Sync {
    /// The order's one PaymentIntent: asking again returns the same one (idempotency key).
    fn create_intent(&self, request: &IntentRequest<'_>) -> impl Future<Output = Result<Intent>> + Send;

    /// Confirms the intent with `payment_method` (a PaymentMethod id such as `pm_card_visa`,
    /// or a card token such as `tok_visa`). A declined card is `PaymentDeclined` with the
    /// provider's message, and the intent can be confirmed again with another card.
    fn confirm(&self, intent_id: &str, payment_method: &str) -> impl Future<Output = Result<Intent>> + Send;

    fn get_intent(&self, intent_id: &str) -> impl Future<Output = Result<Intent>> + Send;

    /// Refunds a succeeded intent in full, once (asking again returns the same refund id).
    fn refund(&self, intent_id: &str) -> impl Future<Output = Result<String>> + Send;
}
