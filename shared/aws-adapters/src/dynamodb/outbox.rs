//! The outbox: one table every change writes its events to, in the same transaction as the
//! change they announce. Its stream triggers the relay, which publishes them. An item
//! expires (DynamoDB TTL) a week after its event happened (in effect, when it was written).

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

    /// The transaction item that stores `event`: the same item for the same event, however
    /// often it is built, so that a transaction tried again under its `ClientRequestToken`
    /// carries the very parameters it first did (DynamoDB refuses a token whose parameters
    /// changed).
    pub fn put(&self, event: &Event) -> Result<TransactWriteItem> {
        let record = OutboxRecord {
            id: event.id.clone(),
            event: serde_json::to_string(event).map_err(|e| Error::internal(e, "encoding an event"))?,
            expires_at: (event.time + chrono::Duration::days(Self::RETENTION_DAYS)).timestamp(),
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

#[cfg(test)]
mod tests {
    use domain::events::EventType;

    use super::*;
    use crate::resources::OutboxTable;

    #[test]
    fn an_events_item_is_the_same_however_late_it_is_built_and_expires_a_week_after_the_event() {
        let time: chrono::DateTime<Utc> = "2026-11-26T09:50:00Z".parse().unwrap();
        let event = Event::new(EventType::TicketCreated, 0, &serde_json::json!({ "id": "01KT" }), time).unwrap();
        let outbox = Outbox::new(&OutboxTable("outbox".to_owned()));
        let (first, again) = (outbox.put(&event).unwrap(), outbox.put(&event).unwrap());
        assert_eq!(first, again, "a retried transaction carries the same parameters");
        let item = first.put().unwrap().item();
        let expires: i64 = item[Outbox::TTL_ATTRIBUTE].as_n().unwrap().parse().unwrap();
        assert_eq!(expires, (time + chrono::Duration::days(7)).timestamp());
    }
}
