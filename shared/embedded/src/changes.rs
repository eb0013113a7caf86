//! Committing a change: every write checked against the version stored, then every record
//! and event written, in one redb transaction.

use domain::change::{Change, Record, STALE, Write};
use domain::events::Event;
use domain::ports::ChangeStore;
use domain::{Error, Result};
use redb::WriteTransaction;

use redb::ReadableTable;

use crate::store::{
    EmbeddedStore, HOLDS, ORDERS, OUTBOX, PAYMENTS, PAYOUT_ACCOUNTS, PAYOUTS, TICKETS, Table, encode, storage,
};

/// One write, encoded: its key, the version it expects, and the record (`None`: delete).
struct Encoded {
    key: String,
    expected: Option<u64>,
    record: Option<Vec<u8>>,
}

fn encoded<T: Record>(writes: &[Write<T>]) -> Result<Vec<Encoded>> {
    writes
        .iter()
        .map(|write| {
            Ok(Encoded {
                key: write.record().key().to_owned(),
                expected: write.expected(),
                record: write.stored().map(encode).transpose()?,
            })
        })
        .collect()
}

/// The version of each record is its `version` field.
#[derive(serde::Deserialize)]
struct Versioned {
    version: u64,
}

/// Events, encoded for the outbox: each id and its bytes.
pub(crate) struct EncodedEvents(Vec<(String, Vec<u8>)>);

impl EncodedEvents {
    pub(crate) fn of(events: &[Event]) -> Result<Self> {
        events.iter().map(|event| Ok((event.id.clone(), encode(event)?))).collect::<Result<_>>().map(Self)
    }

    /// Puts them in the outbox, in `txn`.
    pub(crate) fn store(&self, txn: &WriteTransaction) -> Result<()> {
        let mut outbox = txn.open_table(OUTBOX).map_err(storage)?;
        for (id, event) in &self.0 {
            outbox.insert(id.as_str(), event.as_slice()).map_err(storage)?;
        }
        Ok(())
    }
}

fn apply(txn: &WriteTransaction, table: Table, writes: &[Encoded]) -> Result<()> {
    let mut records = txn.open_table(table).map_err(storage)?;
    for write in writes {
        let stored = records
            .get(write.key.as_str())
            .map_err(storage)?
            .map(|record| crate::store::decode::<Versioned>(record.value()))
            .transpose()?;
        if stored.map(|record| record.version) != write.expected {
            return Err(Error::Conflict(STALE));
        }
        match &write.record {
            Some(record) => records.insert(write.key.as_str(), record.as_slice()).map_err(storage)?,
            None => records.remove(write.key.as_str()).map_err(storage)?,
        };
    }
    Ok(())
}

impl ChangeStore for EmbeddedStore {
    async fn commit(&self, change: &Change) -> Result<()> {
        let tickets = encoded(&change.tickets)?;
        let orders = encoded(&change.orders)?;
        let payments = encoded(&change.payments)?;
        let holds = encoded(&change.holds)?;
        let payouts = encoded(&change.payouts)?;
        let accounts = encoded(&change.accounts)?;
        let events = EncodedEvents::of(&change.events)?;
        self.write(move |txn| {
            apply(txn, TICKETS, &tickets)?;
            apply(txn, ORDERS, &orders)?;
            apply(txn, PAYMENTS, &payments)?;
            apply(txn, HOLDS, &holds)?;
            apply(txn, PAYOUTS, &payouts)?;
            apply(txn, PAYOUT_ACCOUNTS, &accounts)?;
            events.store(txn)
        })
        .await
    }
}
