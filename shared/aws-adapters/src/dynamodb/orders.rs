//! The orders table: partition key `id`; the global secondary index `by-buyer` (key
//! `user_id`, sorted by `id`) for a buyer's orders, newest first; and the sparse, keys-only
//! index `open-by-expiry-keys` (key `open`, sorted by `open_until`, the reservation's end in
//! epoch milliseconds), whose attributes exist only while an order is open, for the sweep
//! (which reads each order again as it expires it, so the index holds the keys alone and an
//! update of an open order writes no entry). Each
//! buyer's holds (their open reservations) are an item of the same table, keyed
//! `holds#<buyer>`, that neither index sees.

use anyhow::Context;
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use domain::entities::{Holds, Order};
use domain::ids::{OrderId, UserId};
use domain::page::{Page, PageRequest};
use domain::ports::OrderStore;
use domain::{Error, Result};

use super::table::{Item, Table, at_most, encode, n, s};
use crate::resources::OrdersTable;

#[derive(Clone)]
pub struct DynamoOrders(Table);

impl DynamoOrders {
    pub const KEY: &'static str = "id";
    pub const BUYER_INDEX: &'static str = "by-buyer";
    pub const BUYER: &'static str = "user_id";
    pub const OPEN_INDEX: &'static str = "open-by-expiry-keys";
    pub const OPEN: &'static str = "open";
    pub const OPEN_UNTIL: &'static str = "open_until";

    pub fn new(client: Client, table: &OrdersTable) -> Self {
        Self(Table::new(client, table.name()))
    }
}

impl DynamoOrders {
    /// The stored item: the order, and while it is open, its place in `open-by-expiry-keys`.
    pub(super) fn item(order: &Order) -> Result<Item> {
        let mut item = encode(order, "an order")?;
        if order.is_open() {
            item.insert(Self::OPEN.to_owned(), s(Self::OPEN));
            item.insert(Self::OPEN_UNTIL.to_owned(), n(order.expires_at.timestamp_millis()));
        }
        Ok(item)
    }

    /// The key of `buyer`'s holds.
    pub(super) fn holds_key(buyer: &str) -> String {
        format!("holds#{buyer}")
    }

    /// The stored item of a buyer's holds.
    pub(super) fn holds_item(holds: &Holds) -> Result<Item> {
        let mut item = encode(holds, "a buyer's holds")?;
        item.insert(Self::KEY.to_owned(), s(Self::holds_key(holds.buyer.as_str())));
        Ok(item)
    }
}

impl DynamoOrders {
    /// One page of a scan of every order (holds are skipped), after the order `after`; the
    /// last order's id when more follow. For one-off passes over all orders (the payouts
    /// backfill), never for a request.
    pub async fn scan(&self, after: Option<&str>) -> Result<(Vec<Order>, Option<String>)> {
        let start = after.map(|id| std::collections::HashMap::from([(Self::KEY.to_owned(), s(id))]));
        let output = self
            .0
            .client
            .scan()
            .table_name(&self.0.name)
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .context("scanning the orders")?;
        let mut orders = Vec::new();
        for item in output.items.unwrap_or_default() {
            let holds =
                item.get(Self::KEY).and_then(|key| key.as_s().ok()).is_some_and(|key| key.starts_with("holds#"));
            if !holds {
                orders.push(serde_dynamo::from_item(item).context("decoding an order").map_err(Error::Internal)?);
            }
        }
        let next = output.last_evaluated_key.and_then(|key| key.get(Self::KEY).and_then(|id| id.as_s().ok().cloned()));
        Ok((orders, next))
    }
}

impl OrderStore for DynamoOrders {
    async fn get(&self, id: &OrderId) -> Result<Option<Order>> {
        self.0.get((Self::KEY, id.as_str()), "an order").await
    }

    async fn list(&self, buyer: &UserId, page: &PageRequest) -> Result<Page<Order>> {
        let after = page.after.as_ref().map(|after| (Self::KEY, after.as_str()));
        let partition = (Self::BUYER, buyer.as_str());
        let every = (|_: &Order| true, |order: &Order| order.id.to_string());
        self.0.newest_first(Some(Self::BUYER_INDEX), partition, after, page.limit, every, "orders").await
    }

    async fn overdue(&self, cutoff: DateTime<Utc>, limit: usize) -> Result<Vec<OrderId>> {
        /// An entry of the keys-only index: the order's key is all it holds of the order.
        #[derive(serde::Deserialize)]
        struct Entry {
            id: OrderId,
        }
        let overdue = Some((Self::OPEN_UNTIL, "<", n(cutoff.timestamp_millis())));
        let query = self.0.index(Self::OPEN_INDEX, (Self::OPEN, s(Self::OPEN)), overdue);
        let found: Vec<Entry> = Table::found(query.limit(at_most(limit)), "overdue orders").await?;
        Ok(found.into_iter().map(|entry| entry.id).collect())
    }

    async fn holds(&self, buyer: &UserId) -> Result<Option<Holds>> {
        self.0.get((Self::KEY, &Self::holds_key(buyer.as_str())), "a buyer's holds").await
    }
}
