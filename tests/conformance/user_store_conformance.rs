//! One suite, every `UserStore` adapter: the embedded store the local runner uses and the
//! DynamoDB store (against moto server). Both must behave the same.

use ::embedded::EmbeddedStore;
use domain::entities::{Email, Password};
use domain::testing::users as suite;
use domain::users;
use edge::passwords::Argon2Passwords;

macro_rules! user_store_conformance {
    ($adapter:ident, $store:expr) => {
        mod $adapter {
            use super::*;

            #[tokio::test]
            async fn a_stored_user_is_found_by_email_with_every_field() {
                suite::a_stored_user_is_found_by_email_with_every_field($store, Argon2Passwords).await;
            }

            #[tokio::test]
            async fn an_unknown_email_is_not_found() {
                suite::an_unknown_email_is_not_found($store, Argon2Passwords).await;
            }

            #[tokio::test]
            async fn a_taken_email_is_a_conflict_and_the_first_account_is_kept() {
                suite::a_taken_email_is_a_conflict_and_the_first_account_is_kept($store, Argon2Passwords).await;
            }

            #[tokio::test]
            async fn distinct_emails_are_distinct_accounts() {
                suite::distinct_emails_are_distinct_accounts($store, Argon2Passwords).await;
            }

            #[tokio::test]
            async fn ending_sessions_raises_the_generation_of_the_named_account_only() {
                suite::ending_sessions_raises_the_generation_of_the_named_account_only($store, Argon2Passwords).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn concurrent_ends_of_sessions_each_count() {
                suite::concurrent_ends_of_sessions_each_count($store, Argon2Passwords).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn concurrent_sign_ups_with_one_email_let_exactly_one_through() {
                suite::concurrent_sign_ups_with_one_email_let_exactly_one_through($store, Argon2Passwords).await;
            }
        }
    };
}

user_store_conformance!(embedded, EmbeddedStore::in_memory());
user_store_conformance!(dynamodb, ticketing_tests::moto::user_store().await);

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
