//! One suite, every `SignInAttempts` adapter: the embedded store and DynamoDB (against moto
//! server), on their own and under signing in and up.

use ::embedded::EmbeddedStore;
use domain::testing::attempts as suite;
use edge::passwords::Argon2Passwords;

/// The attempts on their own.
mod counting {
    use super::*;

    conformance!(
        embedded(EmbeddedStore::in_memory()),
        dynamodb(ticketing_tests::moto::sign_in_attempts().await);
        [
            attempts_are_counted_per_key_within_their_window,
            of_concurrent_reservations_a_window_grants_its_limit("multi_thread"),
        ]
    );
}

/// Signing in and up over them, with the users they protect.
mod signing_in {
    use super::*;

    conformance!(
        embedded(EmbeddedStore::in_memory(), EmbeddedStore::in_memory(), Argon2Passwords),
        dynamodb(ticketing_tests::moto::user_store().await, ticketing_tests::moto::sign_in_attempts().await, Argon2Passwords);
        [
            concurrent_guesses_get_no_more_password_checks_than_the_limits("multi_thread"),
            a_guesser_is_locked_at_their_address_and_the_owner_is_not_until_the_emails_ceiling,
            an_address_makes_so_many_sign_ups_in_a_window,
        ]
    );
}
