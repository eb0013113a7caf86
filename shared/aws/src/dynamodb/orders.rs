//! The orders table: partition key `id`, and the global secondary index `by-buyer` (key
//! `user_id`, sorted by `id`) for a buyer's orders, newest first.

use aws_sdk_dynamodb::Client;
use domain::Result;
use domain::entities::Order;
use domain::ids::{OrderId, UserId};
use domain::page::{Page, PageRequest};
use domain::ports::OrderStore;

use super::table::Table;
use crate::resources::OrdersTable;

#[derive(Clone)]
pub struct DynamoOrders(Table);

impl DynamoOrders {
    pub const KEY: &'static str = "id";
    pub const BUYER_INDEX: &'static str = "by-buyer";
    pub const BUYER: &'static str = "user_id";

    pub fn new(client: Client, table: &OrdersTable) -> Self {
        Self(Table::new(client, table.name()))
    }
}

impl OrderStore for DynamoOrders {
    async fn get(&self, id: &OrderId) -> Result<Option<Order>> {
        self.0.get((Self::KEY, id.as_str()), "an order").await
    }

    async fn list(&self, buyer: &UserId, page: &PageRequest) -> Result<Page<Order>> {
        let after = page.after.as_ref().map(|after| (Self::KEY, after.as_str()));
        let partition = (Self::BUYER, buyer.as_str());
        let orders: Vec<Order> =
            self.0.newest_first(Some(Self::BUYER_INDEX), partition, after, page.limit, "orders").await?;
        Ok(Page::from_overfetch(orders, page.limit, |order| order.id.to_string()))
    }
}
