//! The payments table: partition key `order_id` (one payment per order), and the global
//! secondary index `by-intent` on `stripe_id`.

use anyhow::Context;
use aws_sdk_dynamodb::Client;
use domain::entities::Payment;
use domain::ids::OrderId;
use domain::ports::PaymentStore;
use domain::{Error, Result};

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
        let output = self
            .0
            .client
            .query()
            .table_name(&self.0.name)
            .index_name(Self::INTENT_INDEX)
            .key_condition_expression("#intent = :intent")
            .expression_attribute_names("#intent", Self::INTENT)
            .expression_attribute_values(":intent", s(intent_id))
            .send()
            .await
            .context("finding a payment by intent")?;
        let found = output.items.unwrap_or_default().into_iter().next();
        found
            .map(|item| serde_dynamo::from_item(item).context("decoding a payment"))
            .transpose()
            .map_err(Error::Internal)
    }
}
