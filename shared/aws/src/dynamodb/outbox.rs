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
}
