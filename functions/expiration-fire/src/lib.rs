//! Invoked by an order's schedule with `{"orderId": ...}`: expires the order if it is still
//! unpaid. An error makes Scheduler retry (then dead-letter).

use aws_adapters::OrderWrites;
use chrono::Utc;
use domain::Result;
use domain::ids::OrderId;
use domain::orders::{self, Expiry, ExpiryInput};
use domain::ports::{ChangeStore, OrderStore, TicketStore};

pub type Config = OrderWrites;

pub async fn handle(store: &(impl OrderStore + TicketStore + ChangeStore), input: ExpiryInput) -> Result<Expiry> {
    let Some(id) = OrderId::parse(&input.order_id) else {
        tracing::error!(order_id = %input.order_id, "expiry for a malformed order id ignored");
        return Ok(Expiry::Ignored);
    };
    let outcome = orders::expire(store, &id, Utc::now())
        .await
        .inspect_err(|error| tracing::error!(error = ?error, order = %id, "expiry failed; Scheduler will retry"))?;
    tracing::info!(order = %id, outcome = ?outcome, "expiry ran");
    Ok(outcome)
}
