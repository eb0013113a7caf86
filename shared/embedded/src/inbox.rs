//! Claims on events, per consumer, keyed `consumer/event id`: decided inside one write
//! transaction, so of two concurrent claims one is acquired.

use chrono::{DateTime, Utc};
use domain::Result;
use domain::ports::{Claim, Inbox};
use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use crate::store::{EmbeddedStore, INBOX, decode, encode, storage};

fn key(consumer: &str, event_id: &str) -> String {
    format!("{consumer}/{event_id}")
}

/// A claim: in progress until `lease_until`, or done.
#[derive(Debug, Serialize, Deserialize)]
struct Claimed {
    done: bool,
    lease_until: DateTime<Utc>,
}

impl Inbox for EmbeddedStore {
    async fn claim(&self, consumer: &str, event_id: &str, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<Claim> {
        let key = key(consumer, event_id);
        let record = encode(&Claimed { done: false, lease_until: until })?;
        self.write(move |txn| {
            let mut inbox = txn.open_table(INBOX).map_err(storage)?;
            let current =
                inbox.get(key.as_str()).map_err(storage)?.map(|r| decode::<Claimed>(r.value())).transpose()?;
            match current {
                Some(claim) if claim.done => return Ok(Claim::Done),
                Some(claim) if claim.lease_until >= now => return Ok(Claim::Busy),
                _ => {}
            }
            inbox.insert(key.as_str(), record.as_slice()).map_err(storage)?;
            Ok(Claim::Acquired)
        })
        .await
    }

    async fn complete(&self, consumer: &str, event_id: &str) -> Result<()> {
        let key = key(consumer, event_id);
        let record = encode(&Claimed { done: true, lease_until: Utc::now() })?;
        self.write(move |txn| {
            txn.open_table(INBOX).map_err(storage)?.insert(key.as_str(), record.as_slice()).map_err(storage)?;
            Ok(())
        })
        .await
    }

    async fn release(&self, consumer: &str, event_id: &str) -> Result<()> {
        let key = key(consumer, event_id);
        self.write(move |txn| {
            let mut inbox = txn.open_table(INBOX).map_err(storage)?;
            let done = inbox.get(key.as_str()).map_err(storage)?.map(|r| decode::<Claimed>(r.value())).transpose()?;
            if done.is_some_and(|claim| !claim.done) {
                inbox.remove(key.as_str()).map_err(storage)?;
            }
            Ok(())
        })
        .await
    }
}

impl EmbeddedStore {
    /// Lets go of every claim not completed. Only for a process that is the store's one
    /// user, as it starts: any claim still in progress belonged to a process that died.
    pub async fn release_abandoned_claims(&self) -> Result<usize> {
        self.write(|txn| {
            let mut inbox = txn.open_table(INBOX).map_err(storage)?;
            let mut abandoned = Vec::new();
            for entry in inbox.iter().map_err(storage)? {
                let (key, record) = entry.map_err(storage)?;
                if !decode::<Claimed>(record.value())?.done {
                    abandoned.push(key.value().to_owned());
                }
            }
            for key in &abandoned {
                inbox.remove(key.as_str()).map_err(storage)?;
            }
            Ok(abandoned.len())
        })
        .await
    }
}
