//! Consumes `order.completed` from its SQS queue: schedules the release of the order's payout
//! at its release time (one one-shot schedule per payout, named after the order, invoking
//! payouts-release). Scheduling is idempotent, so a redelivery is harmless.

use aws_adapters::{PayoutsTable, ReleaseTarget};
use domain::Result;
use domain::events::Event;
use domain::payouts;
use domain::ports::{PayoutStore, ReleaseScheduler};

pub type Config = (ReleaseTarget, PayoutsTable);

pub async fn handle(scheduler: &impl ReleaseScheduler, store: &impl PayoutStore, event: Event) -> Result<()> {
    payouts::schedule(scheduler, store, &event).await
}
