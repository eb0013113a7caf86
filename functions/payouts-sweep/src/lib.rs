//! Runs every few minutes (an EventBridge schedule): releases every payout whose release
//! time has come and finishes every claimed transfer or reversal, whatever happened to their
//! own schedules. One payout failing does not stop the others.

use aws_adapters::PayoutWrites;
use chrono::Utc;
use domain::Result;
use domain::payouts::{self, Swept};
use domain::ports::{ChangeStore, PayoutGateway, PayoutStore};
use stripe_adapter::StripeKey;

pub type Config = (PayoutWrites, StripeKey);

pub async fn handle(store: &(impl PayoutStore + ChangeStore), gateway: &impl PayoutGateway) -> Result<Swept> {
    let swept = payouts::sweep(store, gateway, Utc::now()).await?;
    if swept.done + swept.failed > 0 {
        tracing::warn!(released = swept.done, failed = swept.failed, "the sweep did payout work no schedule did");
    }
    Ok(swept)
}
