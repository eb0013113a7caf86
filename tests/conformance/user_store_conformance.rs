//! One suite, every `UserStore` adapter: the embedded store the local runner uses and the
//! DynamoDB store (against moto server). Both must behave the same.

use ::embedded::EmbeddedStore;
use domain::entities::{Email, Password};
use domain::testing::users as suite;
use domain::users;
use edge::passwords::Argon2Passwords;
use ticketing_tests::EmbeddedOutbox;

conformance!(
    embedded(EmbeddedStore::in_memory(), Argon2Passwords),
    dynamodb(ticketing_tests::moto::user_store().await, Argon2Passwords);
    [
        a_stored_user_is_found_by_email_with_every_field,
        an_unknown_email_is_not_found,
        a_taken_email_is_a_conflict_and_the_first_account_is_kept,
        distinct_emails_are_distinct_accounts,
        ending_sessions_raises_the_generation_of_the_named_account_only,
        concurrent_ends_of_sessions_each_count("multi_thread"),
        concurrent_sign_ups_with_one_email_let_exactly_one_through("multi_thread"),
        an_account_is_found_by_its_id_and_a_suppressed_address_stays_suppressed,
        a_reset_token_is_redeemed_once_while_it_works_and_ends_every_session,
        a_verification_token_verifies_the_address_once_and_is_not_a_reset_token,
    ]
);

/// The suites that read the outbox too.
mod announcing {
    use super::*;

    fn embedded_with_outbox() -> (EmbeddedStore, EmbeddedOutbox) {
        let store = EmbeddedStore::in_memory();
        (store.clone(), EmbeddedOutbox(store))
    }

    conformance!(
        embedded(embedded_with_outbox(), Argon2Passwords),
        dynamodb(ticketing_tests::moto::users_and_outbox().await, Argon2Passwords);
        [a_new_account_is_stored_with_its_events_and_a_retried_insert_stores_them_once]
    );
}

#[tokio::test]
async fn the_embedded_store_keeps_accounts_across_restarts() {
    let dir = std::env::temp_dir().join(ticketing_tests::unique_name("embedded-store"));
    let path = dir.join("ticketing.redb");
    let email = || Email::parse("ada@example.com").unwrap();
    let user = {
        let store = EmbeddedStore::open(&path).unwrap();
        let password = Password::parse("correct horse").unwrap();
        users::sign_up(&store, &Argon2Passwords, email(), password, chrono::Utc::now()).await.unwrap()
    };
    let reopened = EmbeddedStore::open(&path).unwrap();
    let found = domain::ports::UserStore::find_by_email(&reopened, &email()).await.unwrap();
    assert_eq!(found.map(|found| found.id), Some(user.id));
    std::fs::remove_dir_all(dir).unwrap();
}
