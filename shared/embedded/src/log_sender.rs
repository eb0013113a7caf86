//! Delivery for local runs: the notification goes to the log.

use domain::Result;
use domain::entities::Notification;
use domain::ports::NotificationSender;

#[derive(Debug, Clone, Copy, Default)]
pub struct LogSender;

impl NotificationSender for LogSender {
    async fn send(&self, notification: &Notification) -> Result<()> {
        tracing::info!(user = %notification.user_id, kind = %notification.kind, message = %notification.message, "notification");
        Ok(())
    }
}
