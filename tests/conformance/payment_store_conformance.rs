//! One suite, every `PaymentStore`: the embedded store and DynamoDB (on moto server).

use ::embedded::EmbeddedStore;
use domain::testing::payments as suite;

macro_rules! payment_store_conformance {
    ($adapter:ident, $store:expr) => {
        mod $adapter {
            use super::*;

            #[tokio::test]
            async fn a_payment_is_found_by_its_order_and_by_its_intent_and_is_one_per_order() {
                suite::a_payment_is_found_by_its_order_and_by_its_intent_and_is_one_per_order($store).await;
            }
        }
    };
}

payment_store_conformance!(embedded, EmbeddedStore::in_memory());
payment_store_conformance!(dynamodb, ticketing_tests::moto::stores().await.0);
