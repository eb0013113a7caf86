//! Runs every hour (an EventBridge schedule): reads Stripe's events of the last four days
//! and applies, through the webhook's own handling, each one the webhook missed (Stripe
//! stops retrying a webhook after three days). Idempotent; its findings are logged.

use aws_adapters::{InboxTable, PaymentWrites};
use chrono::Utc;
use domain::Result;
use domain::payments::{self, Reconciliation};
use domain::ports::{GatewayEvents, Inbox, PaymentGateway, Store};
use stripe_adapter::StripeKey;

pub type Config = (PaymentWrites, InboxTable, StripeKey);

pub async fn handle(
    store: &impl Store,
    gateway: &(impl PaymentGateway + GatewayEvents),
    inbox: &impl Inbox,
) -> Result<Reconciliation> {
    payments::reconcile(store, gateway, inbox, gateway, Utc::now()).await
}
