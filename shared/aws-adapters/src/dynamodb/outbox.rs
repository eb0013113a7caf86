//! The outbox: one table every change writes its events to, in the same transaction as the
//! change they announce. Its stream triggers the relay, which publishes them. An item
//! expires (DynamoDB TTL) a week after it was written.

use anyhow::Context;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use chrono::Utc;
use domain::events::Event;
use domain::{Error, Result};
use serde::{Deserialize, Serialize};

use super::table::encode;
use crate::resources::OutboxTable;

#[derive(Debug, Clone)]
pub struct Outbox {
    table: String,
}

/// An outbox item.
#[derive(Debug, Serialize, Deserialize)]
struct OutboxRecord {
    id: String,
    /// The envelope, as JSON text.
    event: String,
    expires_at: i64,
}

impl Outbox {
    pub const KEY: &'static str = "id";
    pub const TTL_ATTRIBUTE: &'static str = "expires_at";
    const RETENTION_DAYS: i64 = 7;

    pub fn new(table: &OutboxTable) -> Self {
        Self { table: table.name().to_owned() }
    }

    /// The transaction item that stores `event`.
    pub fn put(&self, event: &Event) -> Result<TransactWriteItem> {
        let record = OutboxRecord {
            id: event.id.clone(),
            event: serde_json::to_string(event).map_err(|e| Error::internal(e, "encoding an event"))?,
            expires_at: (Utc::now() + chrono::Duration::days(Self::RETENTION_DAYS)).timestamp(),
        };
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(encode(&record, "an outbox record")?))
            .condition_expression("attribute_not_exists(id)")
            .build()
            .context("building an outbox put")?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// The event in an outbox item (a stream record's new image, or a scanned item).
    pub fn event_from_image(image: impl Into<serde_dynamo::Item>) -> Result<Event> {
        let record: OutboxRecord = serde_dynamo::from_item(image.into()).context("decoding an outbox record")?;
        serde_json::from_str(&record.event).map_err(|e| Error::internal(e, "decoding an outbox event"))
    }

    /// The events of the outbox `table` that happened in `[from, to)`, oldest first (a scan:
    /// an operator's tool, never a request's path).
    pub async fn events_between(
        client: &aws_sdk_dynamodb::Client,
        table: &OutboxTable,
        from: chrono::DateTime<Utc>,
        to: chrono::DateTime<Utc>,
    ) -> Result<Vec<Event>> {
        let mut events = Vec::new();
        let mut start = None;
        loop {
            let page = client
                .scan()
                .table_name(table.name())
                .set_exclusive_start_key(start)
                .send()
                .await
                .context("scanning the outbox")?;
            for item in page.items.unwrap_or_default() {
                let event = Self::event_from_image(item)?;
                if from <= event.time && event.time < to {
                    events.push(event);
                }
            }
            start = page.last_evaluated_key.filter(|key| !key.is_empty());
            if start.is_none() {
                events.sort_by(|a, b| (a.time, &a.id).cmp(&(b.time, &b.id)));
                return Ok(events);
            }
        }
    }
}
