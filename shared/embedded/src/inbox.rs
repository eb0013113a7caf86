//! The events each consumer processed, keyed `consumer/event id`.

use domain::Result;
use domain::ports::Inbox;

use crate::store::{EmbeddedStore, INBOX, open_readable, storage};

fn key(consumer: &str, event_id: &str) -> String {
    format!("{consumer}/{event_id}")
}

impl Inbox for EmbeddedStore {
    async fn seen(&self, consumer: &str, event_id: &str) -> Result<bool> {
        let key = key(consumer, event_id);
        self.read(move |txn| {
            let Some(inbox) = open_readable(txn, INBOX)? else { return Ok(false) };
            Ok(inbox.get(key.as_str()).map_err(storage)?.is_some())
        })
        .await
    }

    async fn record(&self, consumer: &str, event_id: &str) -> Result<()> {
        let key = key(consumer, event_id);
        self.write(move |txn| {
            txn.open_table(INBOX).map_err(storage)?.insert(key.as_str(), [].as_slice()).map_err(storage)?;
            Ok(())
        })
        .await
    }
}
