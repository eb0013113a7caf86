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
        /// An entry of the keys-only index: the payment's key (its order) and the intent.
        #[derive(serde::Deserialize)]
        struct Entry {
            order_id: OrderId,
        }
        let query = self.0.index(Self::INTENT_INDEX, (Self::INTENT, s(intent_id)), None);
        match Table::found::<Entry>(query, "a payment by intent").await?.pop() {
            Some(entry) => self.for_order(&entry.order_id).await,
            None => Ok(None),
        }
    }
}
