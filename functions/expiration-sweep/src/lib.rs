//! Runs every few minutes (an EventBridge schedule): expires every open order whose
//! reservation lapsed more than two minutes ago, whatever happened to its own schedule.

use aws_adapters::PaymentWrites;
use chrono::Utc;
use domain::Result;
use domain::expiry;
use domain::ports::{PaymentGateway, Store};
use stripe_adapter::StripeKey;

pub type Config = (PaymentWrites, StripeKey);

pub async fn handle(store: &impl Store, gateway: &impl PaymentGateway) -> Result<usize> {
    expiry::sweep(store, gateway, Utc::now()).await
}
