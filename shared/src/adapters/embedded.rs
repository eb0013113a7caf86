//! The embedded store used by the local runner: redb, one file under the data directory,
//! or in memory for tests. Records are JSON; every write is one serialized, durable
//! transaction, which gives the atomicity of DynamoDB's conditional writes and
//! transactions: a write and its outbox event commit together or not at all.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use redb::{Database, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use tokio::sync::Notify;

use crate::error::{Error, Result};
use crate::events::Event;
use crate::pagination::{Page, PageRequest};
use crate::ports::{EventPublisher, Inbox, TicketStore, UserStore};
use crate::tickets::{Ticket, TicketFilter, TicketId, TicketStatus};
use crate::users::{Email, User};

const USERS: TableDefinition<&str, &[u8]> = TableDefinition::new("users");
const TICKETS: TableDefinition<&str, &[u8]> = TableDefinition::new("tickets");
/// Events each consumer processed, keyed `consumer/event id`.
const INBOX: TableDefinition<&str, &[u8]> = TableDefinition::new("inbox");
/// Events waiting to be relayed, keyed by event id (ULIDs: oldest first).
const OUTBOX: TableDefinition<&str, &[u8]> = TableDefinition::new("outbox");

struct Inner {
    db: Database,
    outbox_written: Notify,
}

/// A handle on one embedded database; cheap to clone.
#[derive(Clone)]
pub struct EmbeddedDb(Arc<Inner>);

impl EmbeddedDb {
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
        Self(Arc::new(Inner { db, outbox_written: Notify::new() }))
    }

    /// Runs `work` in one write transaction on a blocking thread; commits if it succeeds.
    async fn write<T: Send + 'static>(
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
            self.0.outbox_written.notify_one();
        }
        outcome
    }

    async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&ReadTransaction) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let inner = self.0.clone();
        tokio::task::spawn_blocking(move || work(&inner.db.begin_read().map_err(storage)?))
            .await
            .context("embedded store task")?
    }

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

    /// Resolves after the next committed write (at once if one happened since the last wait).
    pub async fn written(&self) {
        self.0.outbox_written.notified().await;
    }
}

/// The local counterpart of the outbox table's stream and the relay function: publishes
/// what committed writes left in the outbox, oldest first, and removes what the bus took.
/// A failed publish is retried with backoff; nothing leaves the outbox unpublished.
pub async fn relay_outbox(db: EmbeddedDb, publisher: impl EventPublisher) {
    const BATCH: usize = 100;
    const FIRST_DELAY: Duration = Duration::from_millis(50);
    let mut delay = FIRST_DELAY;
    loop {
        let published = match db.outbox_pending(BATCH).await {
            Ok(events) if events.is_empty() => {
                db.written().await;
                continue;
            }
            Ok(events) => match publisher.publish(&events).await {
                Ok(()) => db.outbox_remove(events.into_iter().map(|event| event.id).collect()).await,
                Err(error) => Err(error),
            },
            Err(error) => Err(error),
        };
        match published {
            Ok(()) => delay = FIRST_DELAY,
            Err(error) => {
                tracing::warn!(error = ?error, "relaying the outbox failed; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}

fn open_readable(
    txn: &ReadTransaction,
    table: TableDefinition<'static, &'static str, &'static [u8]>,
) -> Result<Option<redb::ReadOnlyTable<&'static str, &'static [u8]>>> {
    match txn.open_table(table) {
        Ok(table) => Ok(Some(table)),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(storage(e)),
    }
}

fn storage(error: impl Into<redb::Error>) -> Error {
    Error::Internal(anyhow::Error::new(error.into()).context("embedded store"))
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).context("decoding an embedded record").map_err(Error::Internal)
}

fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).context("encoding an embedded record").map_err(Error::Internal)
}

fn put_event(txn: &WriteTransaction, id: &str, record: &[u8]) -> Result<()> {
    txn.open_table(OUTBOX).map_err(storage)?.insert(id, record).map_err(storage)?;
    Ok(())
}

#[derive(Clone)]
pub struct EmbeddedUserStore {
    db: EmbeddedDb,
}

impl EmbeddedUserStore {
    pub fn new(db: EmbeddedDb) -> Self {
        Self { db }
    }
}

impl UserStore for EmbeddedUserStore {
    async fn insert(&self, user: &User) -> Result<()> {
        let record = encode(user)?;
        let email = user.email.as_str().to_owned();
        self.db
            .write(move |txn| {
                let mut users = txn.open_table(USERS).map_err(storage)?;
                if users.get(email.as_str()).map_err(storage)?.is_some() {
                    return Err(Error::Conflict("Email in use"));
                }
                users.insert(email.as_str(), record.as_slice()).map_err(storage)?;
                Ok(())
            })
            .await
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<User>> {
        let email = email.as_str().to_owned();
        self.db
            .read(move |txn| {
                let Some(users) = open_readable(txn, USERS)? else { return Ok(None) };
                users.get(email.as_str()).map_err(storage)?.map(|record| decode(record.value())).transpose()
            })
            .await
    }
}

#[derive(Clone)]
pub struct EmbeddedTicketStore {
    db: EmbeddedDb,
}

impl EmbeddedTicketStore {
    pub fn new(db: EmbeddedDb) -> Self {
        Self { db }
    }

    /// Writes `ticket` (or removes it when `None`) and its event, if the stored
    /// version is `expected` (`None`: no ticket stored).
    async fn write_ticket(
        &self,
        id: &TicketId,
        expected: Option<u64>,
        ticket: Option<&Ticket>,
        event: &Event,
    ) -> Result<()> {
        let id = id.as_str().to_owned();
        let record = ticket.map(encode).transpose()?;
        let (event_id, event) = (event.id.clone(), encode(event)?);
        self.db
            .write(move |txn| {
                let mut tickets = txn.open_table(TICKETS).map_err(storage)?;
                let stored =
                    tickets.get(id.as_str()).map_err(storage)?.map(|r| decode::<Ticket>(r.value())).transpose()?;
                if stored.map(|ticket| ticket.version) != expected {
                    return Err(Error::Conflict("Ticket was changed by another request"));
                }
                match &record {
                    Some(record) => tickets.insert(id.as_str(), record.as_slice()).map_err(storage)?,
                    None => tickets.remove(id.as_str()).map_err(storage)?,
                };
                drop(tickets);
                put_event(txn, &event_id, &event)
            })
            .await
    }
}

impl TicketStore for EmbeddedTicketStore {
    async fn create(&self, ticket: &Ticket, event: &Event) -> Result<()> {
        self.write_ticket(&ticket.id, None, Some(ticket), event).await
    }

    async fn get(&self, id: &TicketId) -> Result<Option<Ticket>> {
        let id = id.as_str().to_owned();
        self.db
            .read(move |txn| {
                let Some(tickets) = open_readable(txn, TICKETS)? else { return Ok(None) };
                tickets.get(id.as_str()).map_err(storage)?.map(|record| decode(record.value())).transpose()
            })
            .await
    }

    async fn replace(&self, ticket: &Ticket, expected_version: u64, event: &Event) -> Result<()> {
        self.write_ticket(&ticket.id, Some(expected_version), Some(ticket), event).await
    }

    async fn delete(&self, ticket: &Ticket, event: &Event) -> Result<()> {
        self.write_ticket(&ticket.id, Some(ticket.version), None, event).await
    }

    async fn list(&self, filter: &TicketFilter, page: &PageRequest) -> Result<Page<Ticket>> {
        let (filter, page) = (filter.clone(), page.clone());
        self.db
            .read(move |txn| {
                let Some(tickets) = open_readable(txn, TICKETS)? else { return Ok(Page { items: vec![], next: None }) };
                let range = match &page.after {
                    Some(after) => tickets.range::<&str>(..after.as_str()),
                    None => tickets.range::<&str>(..),
                }
                .map_err(storage)?;
                let mut items = Vec::with_capacity(page.limit + 1);
                for entry in range.rev() {
                    let (_, record) = entry.map_err(storage)?;
                    let ticket: Ticket = decode(record.value())?;
                    let shown = match &filter {
                        TicketFilter::Available => ticket.status == TicketStatus::Available,
                        TicketFilter::Seller(seller) => &ticket.user_id == seller,
                    };
                    if shown {
                        items.push(ticket);
                        if items.len() > page.limit {
                            break;
                        }
                    }
                }
                Ok(Page::from_overfetch(items, page.limit, |ticket| ticket.id.to_string()))
            })
            .await
    }
}

#[derive(Clone)]
pub struct EmbeddedInbox {
    db: EmbeddedDb,
}

impl EmbeddedInbox {
    pub fn new(db: EmbeddedDb) -> Self {
        Self { db }
    }
}

fn inbox_key(consumer: &str, event_id: &str) -> String {
    format!("{consumer}/{event_id}")
}

impl Inbox for EmbeddedInbox {
    async fn seen(&self, consumer: &str, event_id: &str) -> Result<bool> {
        let key = inbox_key(consumer, event_id);
        self.db
            .read(move |txn| {
                let Some(inbox) = open_readable(txn, INBOX)? else { return Ok(false) };
                Ok(inbox.get(key.as_str()).map_err(storage)?.is_some())
            })
            .await
    }

    async fn record(&self, consumer: &str, event_id: &str) -> Result<()> {
        let key = inbox_key(consumer, event_id);
        self.db
            .write(move |txn| {
                txn.open_table(INBOX).map_err(storage)?.insert(key.as_str(), [].as_slice()).map_err(storage)?;
                Ok(())
            })
            .await
    }
}
