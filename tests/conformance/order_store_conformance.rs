//! One suite, every `OrderStore` with its `TicketStore`: the order rules on the embedded store
//! and DynamoDB (on moto server). One live reservation per ticket, decided by one conditional
//! change; stale work is harmless.

use ::embedded::EmbeddedStore;
use domain::testing::orders as suite;

macro_rules! order_store_conformance {
    ($adapter:ident, $store:expr) => {
        mod $adapter {
            use super::*;

            #[tokio::test]
            async fn an_order_reserves_its_ticket_until_it_expires() {
                suite::an_order_reserves_its_ticket_until_it_expires($store).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn racing_buyers_get_exactly_one_reservation() {
                suite::racing_buyers_get_exactly_one_reservation($store).await;
            }

            #[tokio::test]
            async fn a_lapsed_reservation_is_ordered_again_and_cancelled_in_the_same_change() {
                suite::a_lapsed_reservation_is_ordered_again_and_cancelled_in_the_same_change($store).await;
            }

            #[tokio::test]
            async fn expiry_cancels_an_unpaid_order_and_frees_its_ticket_once() {
                suite::expiry_cancels_an_unpaid_order_and_frees_its_ticket_once($store).await;
            }

            #[tokio::test]
            async fn a_paid_order_is_never_cancelled_nor_expired() {
                suite::a_paid_order_is_never_cancelled_nor_expired($store).await;
            }

            #[tokio::test]
            async fn cancelling_frees_the_ticket_at_once_and_may_be_repeated() {
                suite::cancelling_frees_the_ticket_at_once_and_may_be_repeated($store).await;
            }

            #[tokio::test]
            async fn a_buyer_holds_at_most_the_limit_of_open_reservations() {
                suite::a_buyer_holds_at_most_the_limit_of_open_reservations($store).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn racing_orders_of_one_buyer_never_exceed_the_limit() {
                suite::racing_orders_of_one_buyer_never_exceed_the_limit($store).await;
            }

            #[tokio::test]
            async fn a_buyers_orders_page_newest_first() {
                suite::a_buyers_orders_page_newest_first($store).await;
            }
        }
    };
}

order_store_conformance!(embedded, EmbeddedStore::in_memory());
order_store_conformance!(dynamodb, ticketing_tests::moto::stores().await.0);

/// What the payouts backfill reads on AWS: every order, page after page, and none of the
/// buyers' holds that share their table.
#[tokio::test]
async fn the_dynamodb_orders_scan_reads_every_order_and_no_holds() {
    let (stores, _) = ticketing_tests::moto::stores().await;
    let mut placed = Vec::new();
    for buyer in ["buyer-1", "buyer-2", "buyer-2"] {
        let ticket = domain::testing::orders::listed(&stores).await;
        let limit = domain::orders::ReservationLimit(3);
        let timeout = std::time::Duration::from_secs(60);
        let order =
            domain::orders::place(&stores, buyer.into(), ticket.id.as_str(), timeout, limit, chrono::Utc::now());
        placed.push(order.await.unwrap().id);
    }
    let (mut read, mut after) = (Vec::new(), None);
    loop {
        let (orders, next) = stores.orders.scan(after.as_deref()).await.unwrap();
        read.extend(orders.into_iter().map(|order| order.id));
        match next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    read.sort();
    placed.sort();
    assert_eq!(read, placed);
}
