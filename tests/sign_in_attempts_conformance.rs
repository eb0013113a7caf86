//! One suite, every `SignInAttempts` adapter: the embedded store and DynamoDB (against moto
//! server), on their own and under sign-in.

use ::embedded::EmbeddedStore;
use domain::testing::attempts as suite;
use edge::passwords::Argon2Passwords;

macro_rules! sign_in_attempts_conformance {
    ($adapter:ident, $attempts:expr, $users:expr) => {
        mod $adapter {
            use super::*;

            #[tokio::test]
            async fn failures_are_counted_per_email_within_their_window() {
                suite::failures_are_counted_per_email_within_their_window($attempts).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn of_concurrent_reservations_a_window_grants_its_limit() {
                suite::of_concurrent_reservations_a_window_grants_its_limit($attempts).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn concurrent_guesses_get_no_more_password_checks_than_the_limit() {
                suite::concurrent_guesses_get_no_more_password_checks_than_the_limit(
                    $users,
                    $attempts,
                    Argon2Passwords,
                )
                .await;
            }

            #[tokio::test]
            async fn sign_in_answers_429_after_five_failures_until_the_window_passes() {
                suite::sign_in_answers_429_after_five_failures_until_the_window_passes(
                    $users,
                    $attempts,
                    Argon2Passwords,
                )
                .await;
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
