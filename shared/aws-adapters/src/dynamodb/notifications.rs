//! The notifications table: partition key `user_id`, sort key `id` (the event id, a ULID,
//! so newest first is descending order).

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use domain::entities::Notification;
use domain::ids::UserId;
use domain::page::{Page, PageRequest};
use domain::ports::NotificationStore;
use domain::{Error, Result};
use serde::{Deserialize, Serialize};

use super::table::{Table, encode};
use crate::resources::NotificationsTable;

#[derive(Clone)]
pub struct DynamoNotifications(Table);

impl DynamoNotifications {
    pub const PARTITION: &'static str = "user_id";
    pub const SORT: &'static str = "id";

    pub fn new(client: Client, table: &NotificationsTable) -> Self {
        Self(Table::new(client, table.name()))
    }
}

/// A notification as stored: its attributes in snake case, like every table's.
#[derive(Serialize, Deserialize)]
struct NotificationItem {
    user_id: UserId,
    id: String,
    kind: String,
    message: String,
    order_id: String,
    created_at: chrono::DateTime<chrono::Utc>,
}

impl From<&Notification> for NotificationItem {
    fn from(n: &Notification) -> Self {
        Self {
            user_id: n.user_id.clone(),
            id: n.id.clone(),
            kind: n.kind.clone(),
            message: n.message.clone(),
            order_id: n.order_id.clone(),
            created_at: n.created_at,
        }
    }
}

impl From<NotificationItem> for Notification {
    fn from(item: NotificationItem) -> Self {
        Self {
            id: item.id,
            user_id: item.user_id,
            kind: item.kind,
            message: item.message,
            order_id: item.order_id,
            created_at: item.created_at,
        }
    }
}

impl NotificationStore for DynamoNotifications {
    async fn add(&self, notification: &Notification) -> Result<()> {
        let outcome = self
            .0
            .client
            .put_item()
            .table_name(&self.0.name)
            .set_item(Some(encode(&NotificationItem::from(notification), "a notification")?))
            .condition_expression("attribute_not_exists(id)")
            .send()
            .await;
        match outcome {
            Ok(_) => Ok(()),
            // Already recorded: a redelivery.
            Err(SdkError::ServiceError(e)) if matches!(e.err(), PutItemError::ConditionalCheckFailedException(_)) => {
                Ok(())
            }
            Err(e) => Err(Error::Internal(anyhow::Error::new(e).context("putting a notification"))),
        }
    }

    async fn list(&self, user: &UserId, page: &PageRequest) -> Result<Page<Notification>> {
        let after = page.after.as_ref().map(|after| (Self::SORT, after.as_str()));
        let every = (|_: &NotificationItem| true, |item: &NotificationItem| item.id.clone());
        let partition = (Self::PARTITION, user.as_str());
        let found = self.0.newest_first(None, partition, after, page.limit, every, "notifications").await?;
        Ok(Page { items: found.items.into_iter().map(Notification::from).collect(), next: found.next })
    }
}
