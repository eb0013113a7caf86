//! One suite, every `SignInAttempts` adapter: the embedded store and DynamoDB (against moto
//! server), on their own and under signing in and up.

use ::embedded::EmbeddedStore;
use domain::testing::attempts as suite;
use edge::passwords::Argon2Passwords;

macro_rules! sign_in_attempts_conformance {
    ($adapter:ident, $attempts:expr, $users:expr) => {
        mod $adapter {
            use super::*;

            #[tokio::test]
            async fn attempts_are_counted_per_key_within_their_window() {
                suite::attempts_are_counted_per_key_within_their_window($attempts).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn of_concurrent_reservations_a_window_grants_its_limit() {
                suite::of_concurrent_reservations_a_window_grants_its_limit($attempts).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn concurrent_guesses_get_no_more_password_checks_than_the_limits() {
                suite::concurrent_guesses_get_no_more_password_checks_than_the_limits(
                    $users,
                    $attempts,
                    Argon2Passwords,
                )
                .await;
            }

            #[tokio::test]
            async fn a_guesser_is_locked_at_their_address_and_the_owner_is_not_until_the_emails_ceiling() {
                suite::a_guesser_is_locked_at_their_address_and_the_owner_is_not_until_the_emails_ceiling(
                    $users,
                    $attempts,
                    Argon2Passwords,
                )
                .await;
            }

            #[tokio::test]
            async fn an_address_makes_so_many_sign_ups_in_a_window() {
                suite::an_address_makes_so_many_sign_ups_in_a_window($users, $attempts, Argon2Passwords).await;
            }
        }
    };
}

sign_in_attempts_conformance!(embedded, EmbeddedStore::in_memory(), EmbeddedStore::in_memory());
sign_in_attempts_conformance!(
    dynamodb,
    ticketing_tests::moto::sign_in_attempts().await,
    ticketing_tests::moto::user_store().await
);
