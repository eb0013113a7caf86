//! One suite, every `ChangeStore` with its `TicketStore`: the embedded store and DynamoDB
//! (on moto server). Each write commits together with its outbox events, only at the
//! version it read, and a change across tables commits whole or not at all.

use ::embedded::EmbeddedStore;
use domain::testing::changes as suite;
use ticketing_tests::EmbeddedOutbox;

fn embedded() -> (EmbeddedStore, EmbeddedOutbox) {
    let store = EmbeddedStore::in_memory();
    (store.clone(), EmbeddedOutbox(store))
}

conformance!(
    embedded(embedded()),
    dynamodb(ticketing_tests::moto::stores().await);
    [
        a_created_ticket_reads_back_whole_and_its_event_is_in_the_outbox,
        a_write_at_a_stale_version_is_a_conflict_and_leaves_no_trace,
        a_delete_at_the_current_version_removes_the_ticket,
        concurrent_updates_at_one_version_let_exactly_one_win("multi_thread"),
        a_change_across_tables_commits_whole_or_not_at_all,
        listings_page_newest_first_without_gaps_or_duplicates,
        open_listings_are_a_sellers_unsold_tickets_to_come_counted_up_to_a_bound,
    ]
);
