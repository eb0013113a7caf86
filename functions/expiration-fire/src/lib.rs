//! Invoked by an order's schedule with `{"orderId": ...}`: expires the order if it is still
//! unpaid. An error makes Scheduler retry (then dead-letter).

use chrono::Utc;
use shared::adapters::scheduler::ExpiryInput;
use shared::orders::{self, Expiry, OrderId};
use shared::ports::{OrderStore, TicketStore};

pub async fn handle(
    orders: &impl OrderStore,
    tickets: &impl TicketStore,
    input: ExpiryInput,
) -> shared::Result<Expiry> {
    let Some(id) = OrderId::parse(&input.order_id) else {
        tracing::error!(order_id = %input.order_id, "expiry for a malformed order id ignored");
        return Ok(Expiry::Ignored);
    };
    let outcome = orders::expire(orders, tickets, &id, Utc::now())
        .await
        .inspect_err(|error| tracing::error!(error = ?error, order = %id, "expiry failed; Scheduler will retry"))?;
    tracing::info!(order = %id, outcome = ?outcome, "expiry ran");
    Ok(outcome)
}
