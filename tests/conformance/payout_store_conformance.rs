//! One suite, every `PayoutStore`: the embedded store and DynamoDB (on moto server). One payout per
//! order, written with it; the due ones soonest first; one payout account per seller.

use ::embedded::EmbeddedStore;
use domain::testing::payouts as suite;

macro_rules! payout_store_conformance {
    ($adapter:ident, $store:expr) => {
        mod $adapter {
            use super::*;

            #[tokio::test]
            async fn a_payout_is_one_per_order_and_written_with_its_order() {
                suite::a_payout_is_one_per_order_and_written_with_its_order($store).await;
            }

            #[tokio::test]
            async fn a_sellers_payouts_page_newest_order_first() {
                suite::a_sellers_payouts_page_newest_order_first($store).await;
            }

            #[tokio::test]
            async fn due_payouts_are_those_whose_release_came_and_unfinished_claims_soonest_first() {
                suite::due_payouts_are_those_whose_release_came_and_unfinished_claims_soonest_first($store).await;
            }

            #[tokio::test]
            async fn the_backfill_gives_each_sale_without_a_payout_one_once() {
                suite::the_backfill_gives_each_sale_without_a_payout_one_once($store).await;
            }

            #[tokio::test]
            async fn a_problem_holds_the_payout_until_it_is_resolved() {
                suite::a_problem_holds_the_payout_until_it_is_resolved($store).await;
            }

            #[tokio::test]
            async fn a_payout_account_is_one_per_seller_found_by_seller_and_by_its_id() {
                suite::a_payout_account_is_one_per_seller_found_by_seller_and_by_its_id($store).await;
            }
        }
    };
}

payout_store_conformance!(embedded, EmbeddedStore::in_memory());
payout_store_conformance!(dynamodb, ticketing_tests::moto::stores().await.0);
