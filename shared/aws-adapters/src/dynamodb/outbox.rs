//! The outbox: one table every change writes its events to, in the same transaction as the
//! change they announce: one item a change, holding all of its events (a transaction bills
//! every item it writes twice). Its stream triggers the relay, which publishes them. An item
//! expires (DynamoDB TTL) a week after its last event happened (in effect, when it was written).
//! Events whose JSON text would take the item past DynamoDB's 1 KB write unit are stored
//! deflated (`packed`): a completed purchase's three events fit one unit instead of two.

use anyhow::Context;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
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

/// An outbox item: keyed by its change's first event.
#[derive(Debug, Serialize, Deserialize)]
struct OutboxRecord {
    id: String,
    /// The change's envelopes, in order, as the JSON text of an array.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    events: Option<String>,
    /// One envelope as JSON text: how an item held its event before items held a change's
    /// (the stream and the week's items written then still decode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    event: Option<String>,
    expires_at: i64,
}

/// The attribute that holds a change's events as raw DEFLATE of their JSON text, instead of
/// `events`, when that text would take the item past [`WRITE_UNIT`].
const PACKED: &str = "packed";
/// The size an item is billed one write unit for (twice in a transaction).
const WRITE_UNIT: usize = 1024;
/// What a packed item's events may inflate to at most (an item is at most 400 KB).
const INFLATED_LIMIT: usize = 8 << 20;

impl Outbox {
    pub const KEY: &'static str = "id";
    pub const TTL_ATTRIBUTE: &'static str = "expires_at";
    const RETENTION_DAYS: i64 = 7;

    pub fn new(table: &OutboxTable) -> Self {
        Self { table: table.name().to_owned() }
    }

    /// The transaction item that stores a change's `events` (at least one): the same item
    /// for the same events, however often it is built, so that a transaction tried again
    /// under its `ClientRequestToken` carries the very parameters it first did (DynamoDB
    /// refuses a token whose parameters changed).
    pub fn put(&self, events: &[Event]) -> Result<TransactWriteItem> {
        let (Some(first), Some(last)) = (events.first(), events.iter().map(|event| event.time).max()) else {
            return Err(Error::Internal(anyhow::anyhow!("an outbox item holds at least one event")));
        };
        let text = serde_json::to_string(events).map_err(|e| Error::internal(e, "encoding events"))?;
        // DynamoDB's size of the item as stored plain: its attributes' names and values (a
        // number at most 21 bytes).
        let plain = Self::KEY.len() + first.id.len() + "events".len() + text.len() + Self::TTL_ATTRIBUTE.len() + 21;
        let packed = (plain > WRITE_UNIT).then(|| miniz_oxide::deflate::compress_to_vec(text.as_bytes(), 9));
        let record = OutboxRecord {
            id: first.id.clone(),
            events: packed.is_none().then_some(text),
            event: None,
            expires_at: (last + chrono::Duration::days(Self::RETENTION_DAYS)).timestamp(),
        };
        let mut item = encode(&record, "an outbox record")?;
        if let Some(packed) = packed {
            item.insert(PACKED.to_owned(), AttributeValue::B(Blob::new(packed)));
        }
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(id)")
            .build()
            .context("building an outbox put")?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// The events in an outbox item (a stream record's new image, or a scanned item), in order.
    pub fn events_from_image(image: impl Into<serde_dynamo::Item>) -> Result<Vec<Event>> {
        let mut image = image.into();
        let packed = match image.remove(PACKED) {
            Some(serde_dynamo::AttributeValue::B(bytes)) => Some(
                miniz_oxide::inflate::decompress_to_vec_with_limit(&bytes, INFLATED_LIMIT)
                    .map_err(|e| Error::Internal(anyhow::anyhow!("inflating an outbox record's events: {e}")))?,
            ),
            Some(_) => return Err(Error::Internal(anyhow::anyhow!("an outbox record whose `packed` is not binary"))),
            None => None,
        };
        let record: OutboxRecord = serde_dynamo::from_item(image).context("decoding an outbox record")?;
        let decoded = match (&packed, &record.events, &record.event) {
            (Some(packed), ..) => serde_json::from_slice(packed),
            (None, Some(events), _) => serde_json::from_str(events),
            (None, None, Some(event)) => serde_json::from_str(event).map(|event| vec![event]),
            (None, None, None) => return Err(Error::Internal(anyhow::anyhow!("an outbox record without events"))),
        };
        decoded.map_err(|e| Error::internal(e, "decoding an outbox record's events"))
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
                let stored = Self::events_from_image(item)?;
                events.extend(stored.into_iter().filter(|event| from <= event.time && event.time < to));
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

    fn event(kind: EventType, time: &str) -> Event {
        Event::new(kind, 0, &serde_json::json!({ "id": "01KT" }), time.parse().unwrap()).unwrap()
    }

    fn image(item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>) -> serde_dynamo::Item {
        item.clone().into()
    }

    #[test]
    fn a_changes_item_is_the_same_however_late_it_is_built_and_expires_a_week_after_its_last_event() {
        let events = [
            event(EventType::TicketCreated, "2026-11-26T09:50:00Z"),
            event(EventType::TicketUpdated, "2026-11-26T09:50:01Z"),
        ];
        let outbox = Outbox::new(&OutboxTable("outbox".to_owned()));
        let (first, again) = (outbox.put(&events).unwrap(), outbox.put(&events).unwrap());
        assert_eq!(first, again, "a retried transaction carries the same parameters");
        let item = first.put().unwrap().item();
        let expires: i64 = item[Outbox::TTL_ATTRIBUTE].as_n().unwrap().parse().unwrap();
        assert_eq!(expires, (events[1].time + chrono::Duration::days(7)).timestamp());
        assert_eq!(item[Outbox::KEY].as_s().unwrap(), &events[0].id);
        let stored: Vec<String> = Outbox::events_from_image(image(item)).unwrap().into_iter().map(|e| e.id).collect();
        assert_eq!(stored, [events[0].id.clone(), events[1].id.clone()], "one item, every event, in order");
        assert!(outbox.put(&[]).is_err(), "no item without an event");
    }

    /// A change whose events' JSON would take the item past a write unit (a completed
    /// purchase's three) is stored deflated within one; it decodes from the stored item and
    /// from the stream's image (binary as base64 in the Lambda event's JSON). A small change
    /// stays plain JSON.
    #[test]
    fn a_change_whose_events_would_pass_a_kilobyte_is_stored_deflated_in_one_unit_and_decodes() {
        let ticket = serde_json::json!({
            "id": "01KB0SAMP1E0T1CKET0000000D", "title": "Sample concert", "price": 45.0, "currency": "usd",
            "userId": "01KGRACE000000000000000SAMPLE", "status": "sold", "orderId": "01KB0SAMP1E00RDER00000000W",
            "version": 1, "createdAt": "2026-12-06T23:43:10.699Z",
        });
        let at = "2026-12-06T23:43:10.722Z".parse().unwrap();
        let events: Vec<Event> = [EventType::PaymentSucceeded, EventType::OrderCompleted, EventType::TicketUpdated]
            .into_iter()
            .map(|kind| Event::new(kind, 1, &ticket, at).unwrap())
            .collect();
        assert!(serde_json::to_string(&events).unwrap().len() > WRITE_UNIT, "the test's change is over a unit");
        let outbox = Outbox::new(&OutboxTable("outbox".to_owned()));
        let put = outbox.put(&events).unwrap();
        assert_eq!(put, outbox.put(&events).unwrap(), "a retried transaction carries the same parameters");
        let item = put.put().unwrap().item().clone();
        assert!(!item.contains_key("events"), "{item:?}");
        let size: usize = item
            .iter()
            .map(|(name, value)| {
                name.len()
                    + value.as_s().map_or(0, String::len)
                    + value.as_b().map_or(0, |b| b.as_ref().len())
                    + value.as_n().map_or(0, |_| 21)
            })
            .sum();
        assert!(size <= WRITE_UNIT, "{size} bytes");
        let ids: Vec<String> = events.iter().map(|event| event.id.clone()).collect();
        let stored = Outbox::events_from_image(image(&item)).unwrap();
        assert_eq!(stored.iter().map(|event| event.id.clone()).collect::<Vec<_>>(), ids);
        let streamed: serde_dynamo::Item =
            serde_json::from_str(&serde_json::to_string(&image(&item)).unwrap()).unwrap();
        assert_eq!(Outbox::events_from_image(streamed).unwrap().len(), 3, "as the stream delivers it");

        let small = outbox.put(&events[..1]).unwrap();
        assert!(small.put().unwrap().item().contains_key("events"), "one event stays plain");
        let mut broken = item.clone();
        broken.insert(PACKED.to_owned(), AttributeValue::B(Blob::new(b"not deflate".to_vec())));
        assert!(Outbox::events_from_image(image(&broken)).is_err());
    }

    #[test]
    fn an_item_written_when_items_held_one_event_still_decodes() {
        let event = event(EventType::OrderCreated, "2026-11-26T09:50:00Z");
        let old = serde_json::json!({
            "id": event.id, "event": serde_json::to_string(&event).unwrap(), "expires_at": 1796290200,
        });
        let item: serde_dynamo::Item = serde_dynamo::to_item(old).unwrap();
        let stored = Outbox::events_from_image(item).unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!((stored[0].id.as_str(), stored[0].kind), (event.id.as_str(), EventType::OrderCreated));
        let neither: serde_dynamo::Item =
            serde_dynamo::to_item(serde_json::json!({ "id": "x", "expires_at": 1 })).unwrap();
        assert!(Outbox::events_from_image(neither).is_err());
    }
}
