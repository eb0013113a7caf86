//! Consumes `order.created` (schedule the expiry at `expiresAt`, or, for an order due
//! within a minute or already due, expire it in the delivery as soon as it is due) and
//! `order.cancelled` (remove the schedule) from its SQS queue, once per event.

use aws_adapters::{InboxTable, PaymentWrites, ScheduleTarget};
use chrono::Utc;
use domain::Result;
use domain::events::Event;
use domain::expiration;
use domain::ports::{ExpirationScheduler, Inbox, PaymentGateway, Store};
use stripe_adapter::StripeKey;

pub type Config = (ScheduleTarget, InboxTable, PaymentWrites, StripeKey);

pub async fn handle(
    scheduler: &impl ExpirationScheduler,
    store: &impl Store,
    gateway: &impl PaymentGateway,
    inbox: &impl Inbox,
    event: Event,
) -> Result<()> {
    expiration::track(scheduler, store, gateway, inbox, &event, Utc::now(), tokio::time::sleep).await
}
