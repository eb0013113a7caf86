//! Each payout's one-shot schedule: the consumer of `order.completed` schedules the release
//! of the order's payout at its release time. The schedule runs [`super::release`]; the
//! sweep releases what no schedule did.

use crate::entities::OrderEventData;
use crate::error::Result;
use crate::events::{Event, EventType};
use crate::ports::{PayoutStore, ReleaseScheduler};

/// The events the payouts' scheduler consumes (its EventBridge rule's `detail-type`s).
pub const CONSUMES: [EventType; 1] = [EventType::OrderCompleted];

/// Schedules the release of the payout of the order `event` says completed, if it is not
/// released yet (a redelivery schedules it again, which is harmless). Other events change
/// nothing.
pub async fn schedule(scheduler: &impl ReleaseScheduler, store: &impl PayoutStore, event: &Event) -> Result<()> {
    if event.kind != EventType::OrderCompleted {
        return Ok(());
    }
    let order: OrderEventData = event.data()?;
    let Some(payout) = store.payout(&order.id).await? else {
        tracing::warn!(order = %order.id, "a completed order without a payout: the backfill gives it one");
        return Ok(());
    };
    if !payout.is_before_release() {
        return Ok(());
    }
    scheduler.schedule_release(&payout.order_id, payout.release_at).await
}
