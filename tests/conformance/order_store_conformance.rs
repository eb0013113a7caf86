//! One suite, every `OrderStore` with its `TicketStore`: the order rules on the embedded store
//! and DynamoDB (on moto server). One live reservation per ticket, decided by one conditional
//! change; stale work is harmless.

use domain::testing::orders as suite;

on_both_stores!(
    an_order_reserves_its_ticket_until_it_expires,
    racing_buyers_get_exactly_one_reservation("multi_thread"),
    a_lapsed_reservation_is_ordered_again_and_cancelled_in_the_same_change,
    expiry_cancels_an_unpaid_order_and_frees_its_ticket_once,
    a_paid_order_is_never_cancelled_nor_expired,
    cancelling_frees_the_ticket_at_once_and_may_be_repeated,
    a_buyers_orders_page_newest_first,
    overdue_orders_are_the_open_ones_past_the_cutoff_soonest_first,
    expiry_frees_a_ticket_still_held_by_an_order_that_is_no_longer_open,
    a_buyer_holds_at_most_the_limit_of_open_reservations,
    racing_orders_of_one_buyer_never_exceed_the_limit("multi_thread"),
);

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
