//! The payouts table: partition key `order_id` (one payout per order), and the global
//! secondary index `by-seller` (key `seller`, sorted by `order_id`) for a seller's payouts,
//! newest order first.

use aws_sdk_dynamodb::Client;
use domain::Result;
use domain::entities::Payout;
use domain::ids::{OrderId, UserId};
use domain::page::{Page, PageRequest};
use domain::ports::PayoutStore;

use super::table::Table;
use crate::resources::PayoutsTable;

#[derive(Clone)]
pub struct DynamoPayouts(Table);

impl DynamoPayouts {
    pub const KEY: &'static str = "order_id";
    pub const SELLER_INDEX: &'static str = "by-seller";
    pub const SELLER: &'static str = "seller";

    pub fn new(client: Client, table: &PayoutsTable) -> Self {
        Self(Table::new(client, table.name()))
    }
}

impl PayoutStore for DynamoPayouts {
    async fn payout(&self, order: &OrderId) -> Result<Option<Payout>> {
        self.0.get((Self::KEY, order.as_str()), "a payout").await
    }

    async fn payouts(&self, seller: &UserId, page: &PageRequest) -> Result<Page<Payout>> {
        let after = page.after.as_ref().map(|after| (Self::KEY, after.as_str()));
        let partition = (Self::SELLER, seller.as_str());
        let payouts: Vec<Payout> = self
            .0
            .newest_first(Some(Self::SELLER_INDEX), partition, after, page.limit, |_: &Payout| true, "payouts")
            .await?;
        Ok(Page::from_overfetch(payouts, page.limit, |payout| payout.order_id.to_string()))
    }
}
