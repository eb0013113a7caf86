//! Consumes `order.created` (schedule the expiry at `expiresAt`) and `order.cancelled`
//! (remove the schedule) from its SQS queue, reporting partial batch failures.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use shared::ports::ExpiryScheduler;
use shared::{consumer, orders};

pub async fn handle(scheduler: &impl ExpiryScheduler, batch: SqsEvent) -> SqsBatchResponse {
    consumer::handle_batch(batch, |event| async move { orders::track_expiry(scheduler, &event).await }).await
}
