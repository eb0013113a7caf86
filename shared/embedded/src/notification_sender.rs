//! Delivery of notifications for local runs: each is recorded once, by id, in the outbound
//! table and queued for the mail sender, and written to the log the first time only.

use domain::Result;
use domain::entities::Notification;
use domain::ports::NotificationSender;
use redb::{ReadableTable, ReadableTableMetadata};

use crate::store::{EmbeddedStore, MAIL_QUEUE, OUTBOUND, encode, open_readable, storage};

impl NotificationSender for EmbeddedStore {
    async fn send(&self, notification: &Notification) -> Result<()> {
        let (id, record) = (notification.id.clone(), encode(notification)?);
        let first = self
            .write(move |txn| {
                let mut outbound = txn.open_table(OUTBOUND).map_err(storage)?;
                let first = outbound.get(id.as_str()).map_err(storage)?.is_none();
                if first {
                    outbound.insert(id.as_str(), record.as_slice()).map_err(storage)?;
                    txn.open_table(MAIL_QUEUE)
                        .map_err(storage)?
                        .insert(id.as_str(), record.as_slice())
                        .map_err(storage)?;
                }
                Ok(first)
            })
            .await?;
        if first {
            tracing::info!(user = %notification.user_id, kind = %notification.kind, message = %notification.message, "notification");
        }
        Ok(())
    }
}

impl EmbeddedStore {
    /// How many notifications were handed to delivery.
    pub async fn sent_notifications(&self) -> Result<usize> {
        self.read(|txn| match open_readable(txn, OUTBOUND)? {
            Some(outbound) => Ok(outbound.len().map_err(storage)? as usize),
            None => Ok(0),
        })
        .await
    }
}
