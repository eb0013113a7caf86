//! SQS: notifications leave for the delivery integration through an outbound FIFO queue,
//! one message per notification; what can never be processed is parked in a dead-letter
//! queue.

use anyhow::Context;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::MessageAttributeValue;
use domain::entities::Notification;
use domain::ports::{DeadLetters, NotificationSender};
use domain::{Error, Result};

use crate::resources::{NotificationsQueue, RelayDeadLetterQueue};

#[derive(Clone)]
pub struct SqsNotificationSender {
    client: Client,
    queue_url: String,
}

impl SqsNotificationSender {
    pub fn new(client: Client, queue: &NotificationsQueue) -> Self {
        Self { client, queue_url: queue.name().to_owned() }
    }
}

impl NotificationSender for SqsNotificationSender {
    /// The body is the notification as JSON. Sending it again (a redelivered event, a retry
    /// after a crash) within the queue's five-minute deduplication window is dropped by the
    /// queue: the deduplication id is the notification's id. Messages are ordered per user.
    async fn send(&self, notification: &Notification) -> Result<()> {
        let body = serde_json::to_string(notification).map_err(|e| Error::internal(e, "encoding a notification"))?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .message_group_id(notification.user_id.as_str())
            .message_deduplication_id(&notification.id)
            .send()
            .await
            .with_context(|| format!("sending notification {}", notification.id))?;
        Ok(())
    }
}

/// The queue where the relay parks what can never be published.
#[derive(Clone)]
pub struct SqsDeadLetters {
    client: Client,
    queue_url: String,
}

impl SqsDeadLetters {
    pub fn new(client: Client, queue: &RelayDeadLetterQueue) -> Self {
        Self { client, queue_url: queue.name().to_owned() }
    }
}

impl DeadLetters for SqsDeadLetters {
    async fn park(&self, reason: &str, body: &str) -> Result<()> {
        let attribute = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(reason)
            .build()
            .context("a message attribute")?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .message_attributes("reason", attribute)
            .send()
            .await
            .context("parking a dead letter")?;
        Ok(())
    }
}
