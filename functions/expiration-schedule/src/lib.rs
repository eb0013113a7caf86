//! Consumes `order.created` (schedule the expiry at `expiresAt`) and `order.cancelled`
//! (remove the schedule) from its SQS queue.

use aws_adapters::ScheduleTarget;
use domain::Result;
use domain::events::Event;
use domain::orders;
use domain::ports::ExpiryScheduler;

pub type Config = ScheduleTarget;

pub async fn handle(scheduler: &impl ExpiryScheduler, event: Event) -> Result<()> {
    orders::track_expiry(scheduler, &event).await
}
