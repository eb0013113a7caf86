//! The outbox as the local runner's relay reads it: the counterpart of the outbox table's
//! stream.

use domain::Result;
use domain::events::Event;
use redb::ReadableTable;

use crate::store::{EmbeddedStore, OUTBOX, decode, open_readable, storage};

impl EmbeddedStore {
    /// The oldest events of the outbox, at most `limit`.
    pub async fn outbox_pending(&self, limit: usize) -> Result<Vec<Event>> {
        self.read(move |txn| {
            let Some(outbox) = open_readable(txn, OUTBOX)? else { return Ok(Vec::new()) };
            let mut events = Vec::new();
            for entry in outbox.iter().map_err(storage)?.take(limit) {
                let (_, record) = entry.map_err(storage)?;
                events.push(decode(record.value())?);
            }
            Ok(events)
        })
        .await
    }

    /// Removes relayed events from the outbox.
    pub async fn outbox_remove(&self, ids: Vec<String>) -> Result<()> {
        self.write(move |txn| {
            let mut outbox = txn.open_table(OUTBOX).map_err(storage)?;
            for id in &ids {
                outbox.remove(id.as_str()).map_err(storage)?;
            }
            Ok(())
        })
        .await
    }
}
