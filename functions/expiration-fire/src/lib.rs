//! Invoked by an order's schedule with `{"orderId": ...}`: expires the order if it is still
//! unpaid (completes it if its payment succeeded meanwhile). An error fails the invocation:
//! Lambda retries it twice, then sends it to the function's on-failure destination.

use aws_adapters::PaymentWrites;
use chrono::Utc;
use domain::Result;
use domain::expiration::{self, Expiration, ExpirationInput};
use domain::ids::OrderId;
use domain::ports::{PaymentGateway, Store};
use stripe_adapter::StripeKey;

pub type Config = (PaymentWrites, StripeKey);

pub async fn handle(store: &impl Store, gateway: &impl PaymentGateway, input: ExpirationInput) -> Result<Expiration> {
    let Some(id) = OrderId::parse(&input.order_id) else {
        tracing::error!(order_id = %input.order_id, "expiry for a malformed order id ignored");
        return Ok(Expiration::Ignored);
    };
    let outcome = expiration::expire(store, gateway, &id, Utc::now())
        .await
        .inspect_err(|error| tracing::error!(error = ?error, order = %id, "expiry failed; it will be retried"))?;
    tracing::info!(order = %id, outcome = ?outcome, "expiry ran");
    Ok(outcome)
}
