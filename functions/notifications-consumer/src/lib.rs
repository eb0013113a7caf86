//! Consumes order and payment events from its SQS queue, once per event: records the
//! notification each calls for and sends it to the outbound queue.

use aws_adapters::{InboxTable, NotificationsQueue, NotificationsTable};
use chrono::Utc;
use domain::Result;
use domain::events::Event;
use domain::notifications;
use domain::ports::{Inbox, NotificationSender, NotificationStore};

pub type Config = (NotificationsTable, NotificationsQueue, InboxTable);

pub async fn handle(
    store: &impl NotificationStore,
    sender: &impl NotificationSender,
    inbox: &impl Inbox,
    event: Event,
) -> Result<()> {
    notifications::notify(store, sender, inbox, &event, Utc::now()).await
}
