//! SQS: notifications leave for the delivery integration through an outbound queue.

use anyhow::Context;
use aws_sdk_sqs::Client;

use crate::error::{Error, Result};
use crate::notifications::Notification;
use crate::ports::NotificationSender;

#[derive(Clone)]
pub struct SqsNotificationSender {
    client: Client,
    queue_url: String,
}

impl SqsNotificationSender {
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self { client, queue_url: queue_url.into() }
    }
}

pub async fn client_from_env() -> Client {
    Client::new(&aws_config::load_from_env().await)
}

impl NotificationSender for SqsNotificationSender {
    /// The body is the notification as JSON; its `id` lets the receiver drop a repeat.
    async fn send(&self, notification: &Notification) -> Result<()> {
        let body = serde_json::to_string(notification).map_err(|e| Error::Internal(e.into()))?;
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
