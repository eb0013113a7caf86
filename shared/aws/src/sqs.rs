//! SQS: notifications leave for the delivery integration through an outbound queue.

use anyhow::Context;
use aws_sdk_sqs::Client;
use domain::entities::Notification;
use domain::ports::NotificationSender;
use domain::{Error, Result};

use crate::resources::NotificationsQueue;

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
    /// The body is the notification as JSON; its `id` lets the receiver drop a repeat.
    async fn send(&self, notification: &Notification) -> Result<()> {
        let body = serde_json::to_string(notification).map_err(|e| Error::internal(e, "encoding a notification"))?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .send()
            .await
            .with_context(|| format!("sending notification {}", notification.id))?;
        Ok(())
    }
}
