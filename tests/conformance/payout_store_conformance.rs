//! One suite, every `PayoutStore`: the embedded store and DynamoDB (on moto server). One payout per
//! order, written with it; the due ones soonest first; one payout account per seller.

use domain::testing::payouts as suite;

on_both_stores!(
    a_payout_is_one_per_order_and_written_with_its_order,
    a_sellers_payouts_page_newest_order_first,
    due_payouts_are_those_whose_release_came_and_unfinished_claims_soonest_first,
    the_backfill_gives_each_sale_without_a_payout_one_once,
    a_problem_holds_the_payout_until_it_is_resolved,
    a_payout_account_is_one_per_seller_found_by_seller_and_by_its_id,
);
