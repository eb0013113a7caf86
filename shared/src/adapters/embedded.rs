//! The embedded store used by the local runner: redb, one file under the data directory,
//! or in memory for tests. Records are JSON; every write is one serialized, durable
//! transaction, which gives the atomicity of DynamoDB's conditional writes and
//! transactions: a write and its outbox event commit together or not at all.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use redb::{Database, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use tokio::sync::watch;

use crate::error::{Error, Result};
use crate::events::Event;
use crate::notifications::Notification;
use crate::orders::{Order, OrderChange, OrderId};
use crate::pagination::{Page, PageRequest};
use crate::payments::Payment;
use crate::ports::{EventPublisher, ExpiryScheduler, Inbox, NotificationStore, OrderStore, TicketStore, UserStore};
use crate::tickets::{Ticket, TicketFilter, TicketId, TicketStatus};
use crate::users::{Email, User, UserId};

const USERS: TableDefinition<&str, &[u8]> = TableDefinition::new("users");
const TICKETS: TableDefinition<&str, &[u8]> = TableDefinition::new("tickets");
const ORDERS: TableDefinition<&str, &[u8]> = TableDefinition::new("orders");
/// Payments, keyed by order id (one per order).
const PAYMENTS: TableDefinition<&str, &[u8]> = TableDefinition::new("payments");
/// Pending expiry schedules, keyed by order id.
const SCHEDULES: TableDefinition<&str, &[u8]> = TableDefinition::new("schedules");
/// Notifications, keyed `user id/notification id`.
const NOTIFICATIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("notifications");
/// Events each consumer processed, keyed `consumer/event id`.
const INBOX: TableDefinition<&str, &[u8]> = TableDefinition::new("inbox");
/// Events waiting to be relayed, keyed by event id (ULIDs: oldest first).
const OUTBOX: TableDefinition<&str, &[u8]> = TableDefinition::new("outbox");

struct Inner {
    db: Database,
    /// Counts committed writes, so background loops wake when something changed.
    writes: watch::Sender<u64>,
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
        Self(Arc::new(Inner { db, writes: watch::Sender::new(0) }))
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
            self.0.writes.send_modify(|writes| *writes += 1);
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

    /// The record stored under `key` in `table`, if any.
    async fn get<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        table: TableDefinition<'static, &'static str, &'static [u8]>,
        key: String,
    ) -> Result<Option<T>> {
        self.read(move |txn| {
            let Some(records) = open_readable(txn, table)? else { return Ok(None) };
            records.get(key.as_str()).map_err(storage)?.map(|record| decode(record.value())).transpose()
        })
        .await
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

    /// A receiver that sees every committed write after its creation.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.0.writes.subscribe()
    }
}

/// The local counterpart of the outbox table's stream and the relay function: publishes
/// what committed writes left in the outbox, oldest first, and removes what the bus took.
/// A failed publish is retried with backoff; nothing leaves the outbox unpublished.
pub async fn relay_outbox(db: EmbeddedDb, publisher: impl EventPublisher) {
    const BATCH: usize = 100;
    const FIRST_DELAY: Duration = Duration::from_millis(50);
    let mut delay = FIRST_DELAY;
    let mut changes = db.changes();
    loop {
        changes.borrow_and_update();
        let published = match db.outbox_pending(BATCH).await {
            Ok(events) if events.is_empty() => {
                let _ = changes.changed().await;
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

/// Records of `table` kept by `keep`, highest key (newest ULID) first, one page's worth
/// after the key `page.after`.
fn newest_first<T: serde::de::DeserializeOwned + Keyed>(
    txn: &ReadTransaction,
    table: TableDefinition<'static, &'static str, &'static [u8]>,
    page: &PageRequest,
    keep: impl Fn(&T) -> bool,
) -> Result<Page<T>> {
    let Some(records) = open_readable(txn, table)? else { return Ok(Page { items: Vec::new(), next: None }) };
    let range = match &page.after {
        Some(after) => records.range::<&str>(..after.as_str()),
        None => records.range::<&str>(..),
    }
    .map_err(storage)?;
    let mut items = Vec::with_capacity(page.limit + 1);
    for entry in range.rev() {
        let record: T = decode(entry.map_err(storage)?.1.value())?;
        if keep(&record) {
            items.push(record);
            if items.len() > page.limit {
                break;
            }
        }
    }
    Ok(Page::from_overfetch(items, page.limit, T::key))
}

/// A record's key in its table.
trait Keyed {
    fn key(&self) -> String;
}

impl Keyed for Ticket {
    fn key(&self) -> String {
        self.id.to_string()
    }
}

impl Keyed for Order {
    fn key(&self) -> String {
        self.id.to_string()
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
        self.db.get(USERS, email.as_str().to_owned()).await
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
        self.db.get(TICKETS, id.to_string()).await
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
                newest_first(txn, TICKETS, &page, |ticket: &Ticket| match &filter {
                    TicketFilter::Available => ticket.status == TicketStatus::Available,
                    TicketFilter::Seller(seller) => &ticket.user_id == seller,
                })
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

#[derive(Clone)]
pub struct EmbeddedOrderStore {
    db: EmbeddedDb,
}

impl EmbeddedOrderStore {
    pub fn new(db: EmbeddedDb) -> Self {
        Self { db }
    }
}

const CHANGED: Error = Error::Conflict("Changed by another request");

fn stored_version<T: serde::de::DeserializeOwned>(
    table: &redb::Table<&str, &[u8]>,
    id: &str,
    version: impl Fn(&T) -> u64,
) -> Result<Option<u64>> {
    table.get(id).map_err(storage)?.map(|record| decode::<T>(record.value()).map(|value| version(&value))).transpose()
}

impl OrderStore for EmbeddedOrderStore {
    async fn commit(&self, change: &OrderChange) -> Result<()> {
        let orders = change
            .orders
            .iter()
            .map(|(order, expected)| Ok((order.id.to_string(), *expected, encode(order)?)))
            .collect::<Result<Vec<_>>>()?;
        let tickets = change
            .tickets
            .iter()
            .map(|(ticket, expected)| Ok((ticket.id.to_string(), Some(*expected), encode(ticket)?)))
            .collect::<Result<Vec<_>>>()?;
        let payments = change
            .payments
            .iter()
            .map(|(payment, expected)| Ok((payment.order_id.to_string(), *expected, encode(payment)?)))
            .collect::<Result<Vec<_>>>()?;
        let events =
            change.events.iter().map(|event| Ok((event.id.clone(), encode(event)?))).collect::<Result<Vec<_>>>()?;
        self.db
            .write(move |txn| {
                let mut order_table = txn.open_table(ORDERS).map_err(storage)?;
                for (id, expected, record) in &orders {
                    if stored_version::<Order>(&order_table, id, |order| order.version)? != *expected {
                        return Err(CHANGED);
                    }
                    order_table.insert(id.as_str(), record.as_slice()).map_err(storage)?;
                }
                let mut ticket_table = txn.open_table(TICKETS).map_err(storage)?;
                for (id, expected, record) in &tickets {
                    if stored_version::<Ticket>(&ticket_table, id, |ticket| ticket.version)? != *expected {
                        return Err(CHANGED);
                    }
                    ticket_table.insert(id.as_str(), record.as_slice()).map_err(storage)?;
                }
                let mut payment_table = txn.open_table(PAYMENTS).map_err(storage)?;
                for (id, expected, record) in &payments {
                    if stored_version::<Payment>(&payment_table, id, |payment| payment.version)? != *expected {
                        return Err(CHANGED);
                    }
                    payment_table.insert(id.as_str(), record.as_slice()).map_err(storage)?;
                }
                drop((order_table, ticket_table, payment_table));
                for (id, record) in &events {
                    put_event(txn, id, record)?;
                }
                Ok(())
            })
            .await
    }

    async fn get(&self, id: &OrderId) -> Result<Option<Order>> {
        self.db.get(ORDERS, id.to_string()).await
    }

    async fn list(&self, buyer: &UserId, page: &PageRequest) -> Result<Page<Order>> {
        let (buyer, page) = (buyer.clone(), page.clone());
        self.db.read(move |txn| newest_first(txn, ORDERS, &page, |order: &Order| order.user_id == buyer)).await
    }

    async fn payment_for(&self, order: &OrderId) -> Result<Option<Payment>> {
        self.db.get(PAYMENTS, order.to_string()).await
    }

    async fn payment_by_intent(&self, intent_id: &str) -> Result<Option<Payment>> {
        let intent_id = intent_id.to_owned();
        self.db
            .read(move |txn| {
                let Some(payments) = open_readable(txn, PAYMENTS)? else { return Ok(None) };
                for entry in payments.iter().map_err(storage)? {
                    let payment: Payment = decode(entry.map_err(storage)?.1.value())?;
                    if payment.stripe_id == intent_id {
                        return Ok(Some(payment));
                    }
                }
                Ok(None)
            })
            .await
    }
}

/// A pending expiry: when it is due, and how often it failed.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Schedule {
    at: DateTime<Utc>,
    #[serde(default)]
    attempts: u32,
}

/// The local scheduler: schedules are kept in the embedded store, so pending ones survive
/// a restart, and [`run_schedules`] fires them on time (the overdue ones at once).
#[derive(Clone)]
pub struct EmbeddedScheduler {
    db: EmbeddedDb,
}

impl EmbeddedScheduler {
    pub fn new(db: EmbeddedDb) -> Self {
        Self { db }
    }

    /// The pending schedules, soonest first.
    pub async fn pending(&self) -> Result<Vec<(OrderId, DateTime<Utc>)>> {
        let mut pending: Vec<_> = self.schedules().await?.into_iter().map(|(id, schedule)| (id, schedule.at)).collect();
        pending.sort_by_key(|(_, at)| *at);
        Ok(pending)
    }

    async fn schedules(&self) -> Result<Vec<(OrderId, Schedule)>> {
        self.db
            .read(|txn| {
                let Some(schedules) = open_readable(txn, SCHEDULES)? else { return Ok(Vec::new()) };
                let mut all = Vec::new();
                for entry in schedules.iter().map_err(storage)? {
                    let (id, record) = entry.map_err(storage)?;
                    let id = OrderId::parse(id.value())
                        .ok_or_else(|| Error::Internal(anyhow::anyhow!("bad schedule key")))?;
                    all.push((id, decode(record.value())?));
                }
                Ok(all)
            })
            .await
    }

    async fn put(&self, order: &OrderId, schedule: &Schedule) -> Result<()> {
        let (id, record) = (order.to_string(), encode(schedule)?);
        self.db
            .write(move |txn| {
                txn.open_table(SCHEDULES).map_err(storage)?.insert(id.as_str(), record.as_slice()).map_err(storage)?;
                Ok(())
            })
            .await
    }
}

impl ExpiryScheduler for EmbeddedScheduler {
    async fn schedule(&self, order: &OrderId, at: DateTime<Utc>) -> Result<()> {
        self.put(order, &Schedule { at, attempts: 0 }).await
    }

    async fn cancel(&self, order: &OrderId) -> Result<()> {
        let id = order.to_string();
        self.db
            .write(move |txn| {
                txn.open_table(SCHEDULES).map_err(storage)?.remove(id.as_str()).map_err(storage)?;
                Ok(())
            })
            .await
    }
}

/// Fires each schedule of `scheduler` when it is due by calling `fire` with its order id,
/// and removes it once `fire` succeeds. A failure is retried with backoff, like
/// Scheduler's retry policy, and dropped with an error log after the last attempt.
pub async fn run_schedules<F, Fut>(scheduler: EmbeddedScheduler, fire: F)
where
    F: Fn(OrderId) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    const ATTEMPTS: u32 = 10;
    let mut changes = scheduler.db.changes();
    loop {
        changes.borrow_and_update();
        let next = match scheduler.schedules().await {
            Ok(schedules) => schedules.into_iter().min_by_key(|(_, schedule)| schedule.at),
            Err(error) => {
                tracing::error!(error = ?error, "reading schedules failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let Some((order, schedule)) = next else {
            let _ = changes.changed().await;
            continue;
        };
        let wait = (schedule.at - Utc::now()).to_std().unwrap_or_default();
        if !wait.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = changes.changed() => {}
            }
            continue;
        }
        let outcome = match fire(order.clone()).await {
            Ok(()) => scheduler.cancel(&order).await,
            Err(error) if schedule.attempts + 1 < ATTEMPTS => {
                tracing::warn!(error = ?error, order = %order, "expiry failed; retrying");
                let backoff = chrono::Duration::milliseconds(100 << schedule.attempts.min(10));
                scheduler.put(&order, &Schedule { at: Utc::now() + backoff, attempts: schedule.attempts + 1 }).await
            }
            Err(error) => {
                tracing::error!(error = ?error, order = %order, "expiry failed {ATTEMPTS} times; dropped");
                scheduler.cancel(&order).await
            }
        };
        if let Err(error) = outcome {
            tracing::error!(error = ?error, "updating a schedule failed");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

#[derive(Clone)]
pub struct EmbeddedNotificationStore {
    db: EmbeddedDb,
}

impl EmbeddedNotificationStore {
    pub fn new(db: EmbeddedDb) -> Self {
        Self { db }
    }
}

impl NotificationStore for EmbeddedNotificationStore {
    async fn add(&self, notification: &Notification) -> Result<()> {
        let key = format!("{}/{}", notification.user_id, notification.id);
        let record = encode(notification)?;
        self.db
            .write(move |txn| {
                let mut notifications = txn.open_table(NOTIFICATIONS).map_err(storage)?;
                if notifications.get(key.as_str()).map_err(storage)?.is_none() {
                    notifications.insert(key.as_str(), record.as_slice()).map_err(storage)?;
                }
                Ok(())
            })
            .await
    }

    async fn list(&self, user: &UserId, page: &PageRequest) -> Result<Page<Notification>> {
        let prefix = format!("{user}/");
        let page = page.clone();
        self.db
            .read(move |txn| {
                let Some(notifications) = open_readable(txn, NOTIFICATIONS)? else {
                    return Ok(Page { items: vec![], next: None });
                };
                let end = match &page.after {
                    Some(after) => format!("{prefix}{after}"),
                    None => format!("{prefix}\u{10FFFF}"),
                };
                let mut items = Vec::with_capacity(page.limit + 1);
                for entry in notifications.range::<&str>(prefix.as_str()..end.as_str()).map_err(storage)?.rev() {
                    items.push(decode::<Notification>(entry.map_err(storage)?.1.value())?);
                    if items.len() > page.limit {
                        break;
                    }
                }
                Ok(Page::from_overfetch(items, page.limit, |notification| notification.id.clone()))
            })
            .await
    }
}
