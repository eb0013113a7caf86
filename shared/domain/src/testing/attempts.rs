//! Every `SignInAttempts`: attempts are reserved per email in a window that opens with the
//! first one, up to a limit; an old window gives way to a new one; of concurrent
//! reservations a window grants exactly its limit. And sign-in over it: the sixth attempt in
//! a window answers 429 whatever the password, and concurrent guesses get no more password
//! checks than the limit.

use chrono::{Duration, Utc};

use crate::entities::{Email, Password};
use crate::error::Error;
use crate::ports::{PasswordHasher, Reserved, SignInAttempts, UserStore};
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
        let reserved = attempts.reserve(&ada, now, window(now), now + SIGN_IN_WINDOW, 3).await.unwrap();
        let Reserved::Granted(failures) = reserved else { panic!("{reserved:?}") };
        assert_eq!((failures.count, failures.since.timestamp_millis()), (count, start.timestamp_millis() + 60_000));
    }
    let later = start + Duration::minutes(5);
    let seen = attempts.failures(&ada, window(later)).await.unwrap().expect("an open window");
    assert_eq!(seen.count, 3);
    let full = attempts.reserve(&ada, later, window(later), later + SIGN_IN_WINDOW, 3).await.unwrap();
    assert_eq!(full, Reserved::Refused(seen), "the limit reached: nothing counted");
    assert_eq!(attempts.failures(&ada, window(later)).await.unwrap(), Some(seen));
    assert_eq!(attempts.failures(&grace, window(later)).await.unwrap(), None, "per email");

    // Once the window has passed, it no longer counts, and the next failure opens another.
    let after = start + Duration::minutes(1) + SIGN_IN_WINDOW + Duration::seconds(1);
    assert_eq!(attempts.failures(&ada, window(after)).await.unwrap(), None);
    let fresh = attempts.reserve(&ada, after, window(after), after + SIGN_IN_WINDOW, 3).await.unwrap();
    let Reserved::Granted(fresh) = fresh else { panic!("{fresh:?}") };
    assert_eq!((fresh.count, fresh.since.timestamp_millis()), (1, after.timestamp_millis()));

    attempts.clear(&ada).await.unwrap();
    assert_eq!(attempts.failures(&ada, window(after)).await.unwrap(), None, "cleared");
    attempts.clear(&grace).await.unwrap();
}

pub async fn of_concurrent_reservations_a_window_grants_its_limit(attempts: impl SignInAttempts + Clone + 'static) {
    const RACERS: u32 = 12;
    const LIMIT: u32 = 5;
    let now = Utc::now();
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..RACERS {
        let attempts = attempts.clone();
        racers.spawn(async move {
            let ada = email("racing@example.com");
            attempts.reserve(&ada, now, now - SIGN_IN_WINDOW, now + SIGN_IN_WINDOW, LIMIT).await.unwrap()
        });
    }
    let reserved = racers.join_all().await;
    let mut granted: Vec<u32> = reserved
        .iter()
        .filter_map(|reserved| match reserved {
            Reserved::Granted(failures) => Some(failures.count),
            Reserved::Refused(_) => None,
        })
        .collect();
    granted.sort_unstable();
    assert_eq!(granted, (1..=LIMIT).collect::<Vec<_>>(), "each granted once, up to the limit: {reserved:?}");
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

/// Counts the password checks of the hasher it wraps.
#[derive(Clone)]
pub struct Counting<H> {
    pub inner: H,
    pub checks: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl<H: PasswordHasher> PasswordHasher for Counting<H> {
    async fn hash(&self, password: Password) -> crate::error::Result<crate::entities::PasswordHash> {
        self.inner.hash(password).await
    }

    async fn verify(
        &self,
        candidate: Password,
        hash: Option<crate::entities::PasswordHash>,
    ) -> crate::error::Result<bool> {
        self.checks.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.verify(candidate, hash).await
    }
}

/// Twenty concurrent wrong sign-ins for one email: five password checks, five 401 and
/// fifteen 429. The lock cannot be raced.
pub async fn concurrent_guesses_get_no_more_password_checks_than_the_limit(
    store: impl UserStore + Clone + 'static,
    attempts: impl SignInAttempts + Clone + 'static,
    hasher: impl PasswordHasher + Clone + 'static,
) {
    let hasher = Counting { inner: hasher, checks: Default::default() };
    let password = Password::parse("correct horse battery").unwrap();
    let ada = users::sign_up(&store, &hasher, email("guessed@example.com"), password, Utc::now()).await.unwrap();
    let mut guesses = tokio::task::JoinSet::new();
    for n in 0..20 {
        let (store, attempts, hasher, email) = (store.clone(), attempts.clone(), hasher.clone(), ada.email.clone());
        guesses.spawn(async move {
            let guess = Password::candidate(&format!("wrong guess {n}")).unwrap();
            users::sign_in(&store, &attempts, &hasher, &email, guess, Utc::now()).await
        });
    }
    let outcomes = guesses.join_all().await;
    let unauthorized = outcomes.iter().filter(|outcome| matches!(outcome, Err(Error::Unauthorized(_)))).count();
    let throttled = outcomes.iter().filter(|outcome| matches!(outcome, Err(Error::TooManyRequests { .. }))).count();
    assert_eq!((unauthorized, throttled), (MAX_FAILED_SIGN_INS as usize, 20 - MAX_FAILED_SIGN_INS as usize));
    assert_eq!(hasher.checks.load(std::sync::atomic::Ordering::SeqCst), MAX_FAILED_SIGN_INS as usize, "checks");
}
