//! Expiry schedules, kept in the store so that pending ones survive a restart. The local
//! runner's scheduler loop fires them.

use chrono::{DateTime, Utc};
use domain::ids::OrderId;
use domain::ports::ExpiryScheduler;
use domain::{Error, Result};
use serde::{Deserialize, Serialize};

use redb::ReadableTable;

use crate::store::{EmbeddedStore, SCHEDULES, decode, encode, open_readable, storage};

/// A pending expiry: when it is due, and how often it failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub attempts: u32,
}

impl EmbeddedStore {
    /// Every pending schedule, soonest first.
    pub async fn schedules(&self) -> Result<Vec<(OrderId, Schedule)>> {
        let mut all = self
            .read(|txn| {
                let Some(schedules) = open_readable(txn, SCHEDULES)? else { return Ok(Vec::new()) };
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

    /// Stores `schedule` for `order`, replacing any other.
    pub async fn put_schedule(&self, order: &OrderId, schedule: &Schedule) -> Result<()> {
        let (id, record) = (order.to_string(), encode(schedule)?);
        self.write(move |txn| {
            txn.open_table(SCHEDULES).map_err(storage)?.insert(id.as_str(), record.as_slice()).map_err(storage)?;
            Ok(())
        })
        .await
    }
}

impl ExpiryScheduler for EmbeddedStore {
    async fn schedule(&self, order: &OrderId, at: DateTime<Utc>) -> Result<()> {
        self.put_schedule(order, &Schedule { at, attempts: 0 }).await
    }

    async fn cancel(&self, order: &OrderId) -> Result<()> {
        let id = order.to_string();
        self.write(move |txn| {
            txn.open_table(SCHEDULES).map_err(storage)?.remove(id.as_str()).map_err(storage)?;
            Ok(())
        })
        .await
    }
}
