//! Invoked by a payout's schedule with `{"orderId": ...}` at its release time: transfers the
//! seller's share (or holds it until they connect a payout account), and finishes a claimed
//! transfer or reversal. An error fails the invocation: Lambda retries it twice, then sends
//! it to the function's on-failure destination; the sweep finishes what is left.

use aws_adapters::PayoutWrites;
use chrono::Utc;
use domain::Result;
use domain::entities::Payout;
use domain::ids::OrderId;
use domain::payouts;
use domain::ports::{ChangeStore, PayoutGateway, PayoutStore};
use stripe_adapter::StripeKey;

pub type Config = (PayoutWrites, StripeKey);

/// What a payout's schedule sends.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseInput {
    pub order_id: String,
}

pub async fn handle(
    store: &(impl PayoutStore + ChangeStore),
    gateway: &impl PayoutGateway,
    input: ReleaseInput,
) -> Result<Option<Payout>> {
    let Some(id) = OrderId::parse(&input.order_id) else {
        tracing::error!(order_id = %input.order_id, "a release for a malformed order id ignored");
        return Ok(None);
    };
    let released = payouts::release(store, gateway, &id, Utc::now())
        .await
        .inspect_err(|error| tracing::error!(error = ?error, order = %id, "a release failed; it will be retried"))?;
    tracing::info!(order = %id, status = ?released.as_ref().map(|payout| payout.status), "a release ran");
    Ok(released)
}
