//! The expiry of a reservation: scheduled when an order is created, unscheduled when it is
//! cancelled, and run at `expires_at`. Late, early (refused, then retried) or repeated
//! runs change nothing they should not.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::reservations::cancel_and_release;
use crate::entities::{CancelReason, OrderEventData};
use crate::error::{Error, Result};
use crate::events::{Event, EventType};
use crate::ids::OrderId;
use crate::ports::{ChangeStore, ExpiryScheduler, OrderStore, TicketStore};

/// What a schedule hands the expiry: `{"orderId": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpiryInput {
    pub order_id: String,
}

/// What the expiry did with an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Cancelled as expired; its ticket released if it still held it.
    Expired,
    /// Nothing to do: unknown, paid or already cancelled.
    Ignored,
}

/// The order's reservation time has come: cancel it only if it is still unpaid, release
/// the ticket only if this order still holds it.
pub async fn expire(
    store: &(impl OrderStore + TicketStore + ChangeStore),
    id: &OrderId,
    now: DateTime<Utc>,
) -> Result<Expiry> {
    let Some(order) = OrderStore::get(store, id).await? else { return Ok(Expiry::Ignored) };
    if !order.is_open() {
        return Ok(Expiry::Ignored);
    }
    if now < order.expires_at {
        return Err(Error::Internal(anyhow::anyhow!("expiry of order {id} ran before {}", order.expires_at)));
    }
    cancel_and_release(store, &order, CancelReason::Expired, now).await?;
    Ok(Expiry::Expired)
}

/// The event types the expiration service is routed.
pub const EXPIRATION_CONSUMES: [EventType; 2] = [EventType::OrderCreated, EventType::OrderCancelled];

/// The expiration service's consumer rule: an order's expiry is scheduled when it is
/// created and unscheduled when it is cancelled. Both steps are repeatable.
pub async fn track_expiry(scheduler: &impl ExpiryScheduler, event: &Event) -> Result<()> {
    match event.kind {
        EventType::OrderCreated => {
            let order: OrderEventData = event.data()?;
            scheduler.schedule(&order.id, order.expires_at).await
        }
        EventType::OrderCancelled => {
            let order: OrderEventData = event.data()?;
            scheduler.cancel(&order.id).await
        }
        _ => Ok(()),
    }
}
