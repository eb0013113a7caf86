//! Every `SignInAttempts`: failures are counted per email in a window that opens with the
//! first one; an old window gives way to a new one; concurrent failures are all counted.
//! And sign-in over it: the sixth attempt in a window answers 429 whatever the password.

use chrono::{Duration, Utc};

use crate::entities::{Email, Password};
use crate::error::Error;
use crate::ports::{PasswordHasher, SignInAttempts, UserStore};
use crate::users::{self, MAX_FAILED_SIGN_INS, SIGN_IN_WINDOW};

fn email(address: &str) -> Email {
    Email::parse(address).expect("a valid email")
}

pub async fn failures_are_counted_per_email_within_their_window(attempts: impl SignInAttempts) {
    let (ada, grace) = (email("ada@example.com"), email("grace@example.com"));
    let start = Utc::now();
    let window = |now| now - SIGN_IN_WINDOW;
    assert_eq!(attempts.failures(&ada, window(start)).await.unwrap(), None);
    for count in 1..=3 {
        let now = start + Duration::minutes(i64::from(count));
        let failures = attempts.record_failure(&ada, now, window(now), now + SIGN_IN_WINDOW).await.unwrap();
        assert_eq!((failures.count, failures.since.timestamp_millis()), (count, start.timestamp_millis() + 60_000));
    }
    let later = start + Duration::minutes(5);
    let seen = attempts.failures(&ada, window(later)).await.unwrap().expect("an open window");
    assert_eq!(seen.count, 3);
    assert_eq!(attempts.failures(&grace, window(later)).await.unwrap(), None, "per email");

    // Once the window has passed, it no longer counts, and the next failure opens another.
    let after = start + Duration::minutes(1) + SIGN_IN_WINDOW + Duration::seconds(1);
    assert_eq!(attempts.failures(&ada, window(after)).await.unwrap(), None);
    let fresh = attempts.record_failure(&ada, after, window(after), after + SIGN_IN_WINDOW).await.unwrap();
    assert_eq!((fresh.count, fresh.since.timestamp_millis()), (1, after.timestamp_millis()));

    attempts.clear(&ada).await.unwrap();
    assert_eq!(attempts.failures(&ada, window(after)).await.unwrap(), None, "cleared");
    attempts.clear(&grace).await.unwrap();
}

pub async fn concurrent_failures_are_all_counted(attempts: impl SignInAttempts + Clone + 'static) {
    const RACERS: u32 = 8;
    let now = Utc::now();
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..RACERS {
        let attempts = attempts.clone();
        racers.spawn(async move {
            let ada = email("racing@example.com");
            attempts.record_failure(&ada, now, now - SIGN_IN_WINDOW, now + SIGN_IN_WINDOW).await.unwrap().count
        });
    }
    let mut counts = racers.join_all().await;
    counts.sort_unstable();
    assert_eq!(counts, (1..=RACERS).collect::<Vec<_>>(), "each failure counted once");
}

/// Sign-in over `attempts`: five failures for an email, then 429 with the time left, for
/// the right password as for a wrong one and for an email without an account alike; a
/// success clears what failures there were.
pub async fn sign_in_answers_429_after_five_failures_until_the_window_passes(
    store: impl UserStore,
    attempts: impl SignInAttempts,
    hasher: impl PasswordHasher,
) {
    let password = || Password::parse("correct horse battery").unwrap();
    let wrong = || Password::candidate("wrong horse battery").unwrap();
    let start = Utc::now();
    let ada = users::sign_up(&store, &hasher, email("ada@example.com"), password(), start).await.unwrap();

    // A success after a failure forgets it.
    assert!(matches!(
        users::sign_in(&store, &attempts, &hasher, &ada.email, wrong(), start).await,
        Err(Error::Unauthorized(_))
    ));
    users::sign_in(&store, &attempts, &hasher, &ada.email, password(), start).await.unwrap();
    assert_eq!(attempts.failures(&ada.email, start - SIGN_IN_WINDOW).await.unwrap(), None);

    for target in [ada.email.clone(), email("nobody@example.com")] {
        for _ in 0..MAX_FAILED_SIGN_INS {
            let outcome = users::sign_in(&store, &attempts, &hasher, &target, wrong(), start).await;
            assert!(matches!(outcome, Err(Error::Unauthorized(_))), "{target:?}: {outcome:?}");
        }
        let soon = start + Duration::minutes(10);
        for candidate in [wrong(), password()] {
            match users::sign_in(&store, &attempts, &hasher, &target, candidate, soon).await {
                Err(Error::TooManyRequests { retry_after, .. }) => assert_eq!(retry_after, 5 * 60),
                other => panic!("{target:?}: {other:?}"),
            }
        }
    }
    let passed = start + SIGN_IN_WINDOW + Duration::seconds(1);
    let back = users::sign_in(&store, &attempts, &hasher, &ada.email, password(), passed).await.unwrap();
    assert_eq!(back.id, ada.id, "the window passed");
}
