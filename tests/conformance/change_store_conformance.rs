//! One suite, every `ChangeStore` with its `TicketStore`: the embedded store and DynamoDB
//! (on moto server). Each write commits together with its outbox events, only at the
//! version it read, and a change across tables commits whole or not at all.

use ::embedded::EmbeddedStore;
use domain::testing::changes as suite;
use ticketing_tests::EmbeddedOutbox;

macro_rules! change_store_conformance {
    ($adapter:ident, $fixture:expr) => {
        mod $adapter {
            use super::*;

            #[tokio::test]
            async fn a_created_ticket_reads_back_whole_and_its_event_is_in_the_outbox() {
                let (store, outbox) = $fixture;
                suite::a_created_ticket_reads_back_whole_and_its_event_is_in_the_outbox(store, outbox).await;
            }

            #[tokio::test]
            async fn a_write_at_a_stale_version_is_a_conflict_and_leaves_no_trace() {
                let (store, outbox) = $fixture;
                suite::a_write_at_a_stale_version_is_a_conflict_and_leaves_no_trace(store, outbox).await;
            }

            #[tokio::test]
            async fn a_delete_at_the_current_version_removes_the_ticket() {
                let (store, outbox) = $fixture;
                suite::a_delete_at_the_current_version_removes_the_ticket(store, outbox).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn concurrent_updates_at_one_version_let_exactly_one_win() {
                let (store, outbox) = $fixture;
                suite::concurrent_updates_at_one_version_let_exactly_one_win(store, outbox).await;
            }

            #[tokio::test]
            async fn a_change_across_tables_commits_whole_or_not_at_all() {
                let (store, outbox) = $fixture;
                suite::a_change_across_tables_commits_whole_or_not_at_all(store, outbox).await;
            }

            #[tokio::test]
            async fn listings_page_newest_first_without_gaps_or_duplicates() {
                let (store, _outbox) = $fixture;
                suite::listings_page_newest_first_without_gaps_or_duplicates(store).await;
            }

            #[tokio::test]
            async fn open_listings_are_a_sellers_unsold_tickets_to_come_counted_up_to_a_bound() {
                let (store, _outbox) = $fixture;
                suite::open_listings_are_a_sellers_unsold_tickets_to_come_counted_up_to_a_bound(store).await;
            }
        }
    };
}

fn embedded() -> (EmbeddedStore, EmbeddedOutbox) {
    let store = EmbeddedStore::in_memory();
    (store.clone(), EmbeddedOutbox(store))
}

change_store_conformance!(embedded, embedded());
change_store_conformance!(dynamodb, ticketing_tests::moto::stores().await);
