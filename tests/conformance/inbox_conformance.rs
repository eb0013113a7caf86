//! One suite, every `Inbox`: the embedded store and DynamoDB (on moto server). An event is
//! claimed once per consumer, completed for good, and taken again when released or expired.

use domain::testing::inbox as inbox_suite;
use embedded::EmbeddedStore;

macro_rules! inbox_conformance {
    ($adapter:ident, $inbox:expr) => {
        mod $adapter {
            use super::*;

            #[tokio::test]
            async fn an_event_is_claimed_once_completed_for_good_and_only_by_its_consumer() {
                inbox_suite::an_event_is_claimed_once_completed_for_good_and_only_by_its_consumer($inbox).await;
            }

            #[tokio::test]
            async fn a_released_or_expired_claim_is_taken_again() {
                inbox_suite::a_released_or_expired_claim_is_taken_again($inbox).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn of_concurrent_claims_exactly_one_is_acquired() {
                inbox_suite::of_concurrent_claims_exactly_one_is_acquired($inbox).await;
            }
        }
    };
}

inbox_conformance!(embedded_inbox, EmbeddedStore::in_memory());
inbox_conformance!(dynamodb_inbox, ticketing_tests::moto::inbox().await);
