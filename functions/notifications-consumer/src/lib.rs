//! Consumes order events from its SQS queue: records the notification each calls for and
//! sends it to the outbound queue, reporting partial batch failures.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use shared::ports::{NotificationSender, NotificationStore};
use shared::{consumer, notifications};

pub async fn handle(
    store: &impl NotificationStore,
    sender: &impl NotificationSender,
    batch: SqsEvent,
) -> SqsBatchResponse {
    consumer::handle_batch(batch, |event| async move { notifications::notify(store, sender, &event).await }).await
}
