//! One-shot schedules (the orders' expiries, the payouts' releases), kept in the store so
//! that pending ones survive a restart. The local runner's scheduler loops fire them.

use chrono::{DateTime, Utc};
use domain::ids::OrderId;
use domain::ports::{ExpirationScheduler, ReleaseScheduler};
use domain::{Error, Result};
use serde::{Deserialize, Serialize};

use redb::ReadableTable;

use crate::store::{EmbeddedStore, RELEASE_SCHEDULES, SCHEDULES, Table, decode, encode, open_readable, storage};

/// A pending expiry: when it is due, and how often it failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub attempts: u32,
}

/// A group of schedules kept in the store, as Scheduler keeps schedule groups: the orders'
/// expiries ([`EmbeddedStore::expiries`]) and the payouts' releases
/// ([`EmbeddedStore::releases`]), each keyed by order id.
#[derive(Clone)]
pub struct ScheduleGroup {
    store: EmbeddedStore,
    table: Table,
}

impl ScheduleGroup {
    /// The store the group is kept in.
    pub fn store(&self) -> &EmbeddedStore {
        &self.store
    }

    /// Every pending schedule, soonest first.
    pub async fn schedules(&self) -> Result<Vec<(OrderId, Schedule)>> {
        let table = self.table;
        let mut all = self
            .store
            .read(move |txn| {
                let Some(schedules) = open_readable(txn, table)? else { return Ok(Vec::new()) };
                let mut all = Vec::new();
                for entry in schedules.iter().map_err(storage)? {
                    let (id, record) = entry.map_err(storage)?;
                    let id = OrderId::parse(id.value())
                        .ok_or_else(|| Error::Internal(anyhow::anyhow!("bad schedule key {}", id.value())))?;
                    all.push((id, decode::<Schedule>(record.value())?));
                }
                Ok(all)
            })
            .await?;
        all.sort_by_key(|(_, schedule)| schedule.at);
        Ok(all)
    }

    /// Stores `schedule` for `order` unless it has one already, which is left as it is (as
    /// Scheduler refuses a second schedule of one name).
    pub async fn put_new(&self, order: &OrderId, schedule: &Schedule) -> Result<()> {
        let (id, record, table) = (order.to_string(), encode(schedule)?, self.table);
        self.store
            .write(move |txn| {
                let mut schedules = txn.open_table(table).map_err(storage)?;
                if schedules.get(id.as_str()).map_err(storage)?.is_none() {
                    schedules.insert(id.as_str(), record.as_slice()).map_err(storage)?;
                }
                Ok(())
            })
            .await
    }

    /// Stores `schedule` for `order`, replacing any other.
    pub async fn put_schedule(&self, order: &OrderId, schedule: &Schedule) -> Result<()> {
        let (id, record, table) = (order.to_string(), encode(schedule)?, self.table);
        self.store
            .write(move |txn| {
                txn.open_table(table).map_err(storage)?.insert(id.as_str(), record.as_slice()).map_err(storage)?;
                Ok(())
            })
            .await
    }

    /// Removes `order`'s schedule; a missing one is not an error.
    pub async fn remove(&self, order: &OrderId) -> Result<()> {
        let (id, table) = (order.to_string(), self.table);
        self.store
            .write(move |txn| {
                txn.open_table(table).map_err(storage)?.remove(id.as_str()).map_err(storage)?;
                Ok(())
            })
            .await
    }
}

impl EmbeddedStore {
    /// The orders' expiry schedules.
    pub fn expiries(&self) -> ScheduleGroup {
        ScheduleGroup { store: self.clone(), table: SCHEDULES }
    }

    /// The payouts' release schedules.
    pub fn releases(&self) -> ScheduleGroup {
        ScheduleGroup { store: self.clone(), table: RELEASE_SCHEDULES }
    }

    /// Every pending expiry schedule, soonest first.
    pub async fn schedules(&self) -> Result<Vec<(OrderId, Schedule)>> {
        self.expiries().schedules().await
    }
}

impl ExpirationScheduler for EmbeddedStore {
    async fn schedule(&self, order: &OrderId, at: DateTime<Utc>) -> Result<()> {
        self.expiries().put_schedule(order, &Schedule { at, attempts: 0 }).await
    }

    async fn cancel(&self, order: &OrderId) -> Result<()> {
        self.expiries().remove(order).await
    }
}

impl ReleaseScheduler for EmbeddedStore {
    async fn schedule_release(&self, order: &OrderId, at: DateTime<Utc>) -> Result<()> {
        self.releases().put_new(order, &Schedule { at, attempts: 0 }).await
    }
}
