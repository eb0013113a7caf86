//! Notifications, keyed `user id/notification id`: one user's are one key range.

use domain::Result;
use domain::entities::Notification;
use domain::ids::UserId;
use domain::page::{Page, PageRequest};
use domain::ports::NotificationStore;

use redb::ReadableTable;

use crate::store::{EmbeddedStore, NOTIFICATIONS, decode, encode, open_readable, storage};

impl NotificationStore for EmbeddedStore {
    async fn add(&self, notification: &Notification) -> Result<()> {
        let key = format!("{}/{}", notification.user_id, notification.id);
        let record = encode(notification)?;
        self.write(move |txn| {
            let mut notifications = txn.open_table(NOTIFICATIONS).map_err(storage)?;
            if notifications.get(key.as_str()).map_err(storage)?.is_none() {
                notifications.insert(key.as_str(), record.as_slice()).map_err(storage)?;
            }
            Ok(())
        })
        .await
    }

    async fn list(&self, user: &UserId, page: &PageRequest) -> Result<Page<Notification>> {
        let prefix = format!("{user}/");
        let page = page.clone();
        self.read(move |txn| {
            let Some(notifications) = open_readable(txn, NOTIFICATIONS)? else { return Ok(Page::empty()) };
            let end = match &page.after {
                Some(after) => format!("{prefix}{after}"),
                None => format!("{prefix}\u{10FFFF}"),
            };
            let mut items = Vec::with_capacity(page.limit + 1);
            for entry in notifications.range::<&str>(prefix.as_str()..end.as_str()).map_err(storage)?.rev() {
                items.push(decode::<Notification>(entry.map_err(storage)?.1.value())?);
                if items.len() > page.limit {
                    break;
                }
            }
            Ok(Page::from_overfetch(items, page.limit, |notification| notification.id.clone()))
        })
        .await
    }
}
