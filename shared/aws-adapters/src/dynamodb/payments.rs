//! The payments table: partition key `order_id` (one payment per order), and the global
//! secondary index `by-intent-keys` on `stripe_id`, keys only: a lookup by intent reads the
//! payment itself by its key after the index named it (strongly consistent, where the index
//! is not), and an update of a payment writes no entry.

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
    pub const INTENT_INDEX: &'static str = "by-intent-keys";
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
        self.0.named_by(Self::INTENT_INDEX, (Self::INTENT, s(intent_id)), Self::KEY, "a payment by intent").await
    }
}
