//! One suite, every `Inbox`: the embedded store and DynamoDB (on moto server). An event is
//! claimed once per consumer, completed for good, and taken again when released or expired.

use ::embedded::EmbeddedStore;
use domain::testing::inbox as suite;

conformance!(
    embedded_inbox(EmbeddedStore::in_memory()),
    dynamodb_inbox(ticketing_tests::moto::inbox().await);
    [
        an_event_is_claimed_once_completed_for_good_and_only_by_its_consumer,
        a_released_or_expired_claim_is_taken_again,
        of_concurrent_claims_exactly_one_is_acquired("multi_thread"),
    ]
);
