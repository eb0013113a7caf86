//! The payments table: partition key `order_id` (one payment per order), and the global
//! secondary index `by-intent` on `stripe_id`.

use aws_sdk_dynamodb::Client;
use domain::Result;
use domain::entities::Payment;
use domain::ids::OrderId;
use domain::ports::PaymentStore;

use super::table::{Table, s};
use crate::resources::PaymentsTable;

#[derive(Clone)]
pub struct DynamoPayments(Table);

impl DynamoPayments {
    pub const KEY: &'static str = "order_id";
    pub const INTENT_INDEX: &'static str = "by-intent";
    pub const INTENT: &'static str = "stripe_id";

    pub fn new(client: Client, table: &PaymentsTable) -> Self {
        Self(Table::new(client, table.name()))
    }
}

impl PaymentStore for DynamoPayments {
    async fn for_order(&self, order: &OrderId) -> Result<Option<Payment>> {
        self.0.get((Self::KEY, order.as_str()), "a payment").await
    }

    async fn by_intent(&self, intent_id: &str) -> Result<Option<Payment>> {
        let query = self.0.index(Self::INTENT_INDEX, (Self::INTENT, s(intent_id)), None);
        Ok(Table::found(query, "a payment by intent").await?.pop())
    }
}
