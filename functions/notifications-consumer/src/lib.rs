//! Consumes order and payment events from its SQS queue: records the notification each
//! calls for and sends it to the outbound queue.

use aws_adapters::{NotificationsQueue, NotificationsTable};
use domain::Result;
use domain::events::Event;
use domain::notifications;
use domain::ports::{NotificationSender, NotificationStore};

pub type Config = (NotificationsTable, NotificationsQueue);

pub async fn handle(store: &impl NotificationStore, sender: &impl NotificationSender, event: Event) -> Result<()> {
    notifications::notify(store, sender, &event).await
}
