//! Deliveries: each event a consumer must get, kept until its handler succeeded, and the
//! dead letters of those that exhausted their attempts. The local runner's counterpart of a
//! consumer's SQS queue and its dead-letter queue.

use chrono::{DateTime, Utc};
use domain::Result;
use domain::events::Event;
use redb::{ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::store::{DEAD_LETTERS, DELIVERIES, EmbeddedStore, decode, encode, open_readable, storage};

/// An event waiting for a consumer: how often it failed, and when it is next due.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub event: Event,
    pub attempts: u32,
    pub due: DateTime<Utc>,
}

/// A delivery that exhausted its attempts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    pub consumer: String,
    pub event: Event,
    pub attempts: u32,
    pub error: String,
    pub failed_at: DateTime<Utc>,
}

fn key(consumer: &str, event_id: &str) -> String {
    format!("{consumer}/{event_id}")
}

/// Inserts `record` under `key` unless something is there already.
fn insert_new(txn: &WriteTransaction, key: &str, record: &[u8]) -> Result<()> {
    let mut deliveries = txn.open_table(DELIVERIES).map_err(storage)?;
    if deliveries.get(key).map_err(storage)?.is_none() {
        deliveries.insert(key, record).map_err(storage)?;
    }
    Ok(())
}

impl EmbeddedStore {
    /// Queues each `(consumer, event)`, due now; an event already queued for a consumer stays
    /// as it is (queueing is repeatable).
    pub async fn enqueue(&self, deliveries: Vec<(String, Event)>, now: DateTime<Utc>) -> Result<()> {
        let records = deliveries
            .into_iter()
            .map(|(consumer, event)| {
                let key = key(&consumer, &event.id);
                Ok((key, encode(&Delivery { event, attempts: 0, due: now })?))
            })
            .collect::<Result<Vec<_>>>()?;
        self.write(move |txn| {
            for (key, record) in &records {
                insert_new(txn, key, record)?;
            }
            Ok(())
        })
        .await
    }

    /// Every delivery of `consumer`, oldest event first.
    pub async fn deliveries(&self, consumer: &str) -> Result<Vec<Delivery>> {
        let (start, end) = (format!("{consumer}/"), format!("{consumer}/\u{10FFFF}"));
        self.read(move |txn| {
            let Some(deliveries) = open_readable(txn, DELIVERIES)? else { return Ok(Vec::new()) };
            let mut all = Vec::new();
            for entry in deliveries.range::<&str>(start.as_str()..end.as_str()).map_err(storage)? {
                all.push(decode(entry.map_err(storage)?.1.value())?);
            }
            Ok(all)
        })
        .await
    }

    /// The consumer handled the event: its delivery is done.
    pub async fn delivered(&self, consumer: &str, event_id: &str) -> Result<()> {
        let key = key(consumer, event_id);
        self.write(move |txn| {
            txn.open_table(DELIVERIES).map_err(storage)?.remove(key.as_str()).map_err(storage)?;
            Ok(())
        })
        .await
    }

    /// The consumer failed on the event: it is due again at `due`, one attempt more.
    pub async fn retry_later(&self, consumer: &str, delivery: &Delivery, due: DateTime<Utc>) -> Result<()> {
        let key = key(consumer, &delivery.event.id);
        let record = encode(&Delivery { due, attempts: delivery.attempts + 1, ..delivery.clone() })?;
        self.write(move |txn| {
            txn.open_table(DELIVERIES).map_err(storage)?.insert(key.as_str(), record.as_slice()).map_err(storage)?;
            Ok(())
        })
        .await
    }

    /// The consumer failed on the event for the last time: it moves to the dead letters.
    pub async fn dead_letter(&self, consumer: &str, delivery: &Delivery, error: String) -> Result<()> {
        let key = key(consumer, &delivery.event.id);
        let letter = DeadLetter {
            consumer: consumer.to_owned(),
            event: delivery.event.clone(),
            attempts: delivery.attempts + 1,
            error,
            failed_at: Utc::now(),
        };
        let record = encode(&letter)?;
        self.write(move |txn| {
            txn.open_table(DELIVERIES).map_err(storage)?.remove(key.as_str()).map_err(storage)?;
            txn.open_table(DEAD_LETTERS).map_err(storage)?.insert(key.as_str(), record.as_slice()).map_err(storage)?;
            Ok(())
        })
        .await
    }

    /// Every dead letter, by consumer and event.
    pub async fn dead_letters(&self) -> Result<Vec<DeadLetter>> {
        self.read(|txn| {
            let Some(letters) = open_readable(txn, DEAD_LETTERS)? else { return Ok(Vec::new()) };
            let mut all = Vec::new();
            for entry in letters.iter().map_err(storage)? {
                all.push(decode(entry.map_err(storage)?.1.value())?);
            }
            Ok(all)
        })
        .await
    }

    /// Queues every dead letter again for its consumer, due now, with fresh attempts.
    /// Returns how many.
    pub async fn redrive(&self, now: DateTime<Utc>) -> Result<usize> {
        self.write(move |txn| {
            let mut letters = txn.open_table(DEAD_LETTERS).map_err(storage)?;
            let mut moved = Vec::new();
            for entry in letters.iter().map_err(storage)? {
                let (key, record) = entry.map_err(storage)?;
                let letter: DeadLetter = decode(record.value())?;
                moved.push((key.value().to_owned(), encode(&Delivery { event: letter.event, attempts: 0, due: now })?));
            }
            for (key, record) in &moved {
                letters.remove(key.as_str()).map_err(storage)?;
                insert_new(txn, key, record)?;
            }
            Ok(moved.len())
        })
        .await
    }
}
