//! The embedded database: its tables, one write transaction at a time on a blocking
//! thread, and a signal that wakes the local runner's loops when something committed.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use domain::{Error, Result};
use redb::{Database, ReadTransaction, ReadableDatabase, TableDefinition, WriteTransaction};
use tokio::sync::watch;

pub(crate) type Table = TableDefinition<'static, &'static str, &'static [u8]>;

pub(crate) const USERS: Table = TableDefinition::new("users");
pub(crate) const TICKETS: Table = TableDefinition::new("tickets");
pub(crate) const ORDERS: Table = TableDefinition::new("orders");
/// Payments, keyed by order id (one per order).
pub(crate) const PAYMENTS: Table = TableDefinition::new("payments");
/// Sellers' payouts, keyed by order id (one per order).
pub(crate) const PAYOUTS: Table = TableDefinition::new("payouts");
/// Sellers' payout accounts, keyed by user id.
pub(crate) const PAYOUT_ACCOUNTS: Table = TableDefinition::new("payout_accounts");
/// Pending expiry schedules, keyed by order id.
pub(crate) const SCHEDULES: Table = TableDefinition::new("schedules");
/// Pending payout release schedules, keyed by order id.
pub(crate) const RELEASE_SCHEDULES: Table = TableDefinition::new("release_schedules");
/// Notifications, keyed `user id/notification id`.
pub(crate) const NOTIFICATIONS: Table = TableDefinition::new("notifications");
/// Events each consumer processed, keyed `consumer/event id`.
pub(crate) const INBOX: Table = TableDefinition::new("inbox");
/// Events waiting to be relayed, keyed by event id (ULIDs: oldest first).
pub(crate) const OUTBOX: Table = TableDefinition::new("outbox");
/// Events waiting to be delivered to a consumer, keyed `consumer/event id`.
pub(crate) const DELIVERIES: Table = TableDefinition::new("deliveries");
/// Deliveries that exhausted their attempts, keyed `consumer/event id`.
pub(crate) const DEAD_LETTERS: Table = TableDefinition::new("dead_letters");
/// Notifications handed to delivery, keyed by notification id.
pub(crate) const OUTBOUND: Table = TableDefinition::new("outbound");
/// Notifications waiting for the mail sender (the outbound queue's counterpart), keyed by
/// notification id.
pub(crate) const MAIL_QUEUE: Table = TableDefinition::new("mail_queue");
/// The mail sent, keyed by a ULID of its sending (oldest first).
pub(crate) const MAILBOX: Table = TableDefinition::new("mailbox");
/// Each buyer's open reservations, keyed by user id.
pub(crate) const HOLDS: Table = TableDefinition::new("holds");
/// Failed sign-ins of the current window, keyed by email.
pub(crate) const SIGN_IN_FAILURES: Table = TableDefinition::new("sign_in_failures");

struct Inner {
    db: Database,
    /// Counts committed writes, so background loops wake when something changed.
    writes: watch::Sender<u64>,
}

/// A handle on one embedded database; cheap to clone.
#[derive(Clone)]
pub struct EmbeddedStore(Arc<Inner>);

impl EmbeddedStore {
    /// Opens (or creates) the database file at `path`, creating its directory.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let db = Database::create(path).with_context(|| format!("opening {}", path.display()))?;
        Ok(Self::from_db(db))
    }

    /// A fresh database that lives as long as its handles.
    pub fn in_memory() -> Self {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .expect("an in-memory database always opens");
        Self::from_db(db)
    }

    fn from_db(db: Database) -> Self {
        Self(Arc::new(Inner { db, writes: watch::Sender::new(0) }))
    }

    /// The database, for an adapter that keeps tables of its own outside the marketplace's
    /// changes (its writes wake no background loop).
    pub(crate) fn database(&self) -> &Database {
        &self.0.db
    }

    /// A receiver that sees every committed write after its creation.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.0.writes.subscribe()
    }

    /// Runs `work` in one write transaction on a blocking thread; commits if it succeeds.
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&WriteTransaction) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let inner = self.0.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let txn = inner.db.begin_write().map_err(storage)?;
            let value = work(&txn)?;
            txn.commit().map_err(storage)?;
            Ok(value)
        })
        .await
        .context("embedded store task")?;
        if outcome.is_ok() {
            self.0.writes.send_modify(|writes| *writes += 1);
        }
        outcome
    }

    pub(crate) async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&ReadTransaction) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let inner = self.0.clone();
        tokio::task::spawn_blocking(move || work(&inner.db.begin_read().map_err(storage)?))
            .await
            .context("embedded store task")?
    }

    /// The record stored under `key` in `table`, if any.
    pub(crate) async fn get<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        table: Table,
        key: String,
    ) -> Result<Option<T>> {
        self.read(move |txn| {
            let Some(records) = open_readable(txn, table)? else { return Ok(None) };
            records.get(key.as_str()).map_err(storage)?.map(|record| decode(record.value())).transpose()
        })
        .await
    }
}

/// `table` for reading; `None` when nothing was ever written to it.
pub(crate) fn open_readable(
    txn: &ReadTransaction,
    table: Table,
) -> Result<Option<redb::ReadOnlyTable<&'static str, &'static [u8]>>> {
    match txn.open_table(table) {
        Ok(table) => Ok(Some(table)),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(storage(e)),
    }
}

pub(crate) fn storage(error: impl Into<redb::Error>) -> Error {
    Error::Internal(anyhow::Error::new(error.into()).context("embedded store"))
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| Error::internal(e, "decoding an embedded record"))
}

pub(crate) fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| Error::internal(e, "encoding an embedded record"))
}
