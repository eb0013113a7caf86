//! Every `SignInAttempts`: attempts are reserved per key in a window that opens with the
//! first one, up to a limit; an old window gives way to a new one; of concurrent
//! reservations a window grants exactly its limit. And signing in and up over it: a guesser
//! at one address is locked after five failures while the owner at another signs in, until
//! the email's ceiling; concurrent guesses get no more password checks than the limits; an
//! address makes so many sign-ups in a window.

use chrono::{Duration, Utc};

use crate::entities::{Email, Password};
use crate::error::Error;
use crate::ports::{AttemptWindow, PasswordHasher, Reserved, SignInAttempts, UserStore};
use crate::users::{self, ClientAddress, SIGN_IN_WINDOW, Throttles};

fn email(address: &str) -> Email {
    Email::parse(address).expect("a valid email")
}

fn address(raw: &str) -> ClientAddress {
    ClientAddress::parse(raw).expect("an IP address")
}

pub async fn attempts_are_counted_per_key_within_their_window(attempts: impl SignInAttempts) {
    let ada = users::email_key(&email("ada@example.com"));
    let ada_here = users::email_from_key(&email("ada@example.com"), &address("203.0.113.7"));
    let start = Utc::now();
    let window = |now| now - SIGN_IN_WINDOW;
    assert_eq!(attempts.failures(&ada, window(start)).await.unwrap(), None);
    for count in 1..=3 {
        let now = start + Duration::minutes(i64::from(count));
        let reserved = attempts.reserve(&ada, AttemptWindow::at(now, SIGN_IN_WINDOW, 3)).await.unwrap();
        let Reserved::Granted(failures) = reserved else { panic!("{reserved:?}") };
        assert_eq!((failures.count, failures.since.timestamp_millis()), (count, start.timestamp_millis() + 60_000));
    }
    let later = start + Duration::minutes(5);
    let seen = attempts.failures(&ada, window(later)).await.unwrap().expect("an open window");
    assert_eq!(seen.count, 3);
    let full = attempts.reserve(&ada, AttemptWindow::at(later, SIGN_IN_WINDOW, 3)).await.unwrap();
    assert_eq!(full, Reserved::Refused(seen), "the limit reached: nothing counted");
    assert_eq!(attempts.failures(&ada, window(later)).await.unwrap(), Some(seen));
    assert_eq!(attempts.failures(&ada_here, window(later)).await.unwrap(), None, "per key");

    // Once the window has passed, it no longer counts, and the next attempt opens another.
    let after = start + Duration::minutes(1) + SIGN_IN_WINDOW + Duration::seconds(1);
    assert_eq!(attempts.failures(&ada, window(after)).await.unwrap(), None);
    let fresh = attempts.reserve(&ada, AttemptWindow::at(after, SIGN_IN_WINDOW, 3)).await.unwrap();
    let Reserved::Granted(fresh) = fresh else { panic!("{fresh:?}") };
    assert_eq!((fresh.count, fresh.since.timestamp_millis()), (1, after.timestamp_millis()));

    attempts.clear(&ada).await.unwrap();
    assert_eq!(attempts.failures(&ada, window(after)).await.unwrap(), None, "cleared");
    attempts.clear(&ada_here).await.unwrap();
}

pub async fn of_concurrent_reservations_a_window_grants_its_limit(attempts: impl SignInAttempts + Clone + 'static) {
    const RACERS: u32 = 12;
    const LIMIT: u32 = 5;
    let now = Utc::now();
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..RACERS {
        let attempts = attempts.clone();
        racers.spawn(async move {
            let key = users::email_key(&email("racing@example.com"));
            attempts.reserve(&key, AttemptWindow::at(now, SIGN_IN_WINDOW, LIMIT)).await.unwrap()
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

/// Limits small enough to reach in a test: five failures per address, eight per email.
fn small() -> Throttles {
    Throttles { sign_in_failures_per_email: 8, sign_ups_per_address: 3, ..Throttles::default() }
}

/// Sign-in over `attempts`: five failures for an email from one address, then 429 with the
/// time left there, for the right password as for a wrong one and for an email without an
/// account alike, while the owner at another address still signs in; the email's ceiling
/// then locks every address; a success clears what failures there were.
pub async fn a_guesser_is_locked_at_their_address_and_the_owner_is_not_until_the_emails_ceiling(
    store: impl UserStore,
    attempts: impl SignInAttempts,
    hasher: impl PasswordHasher,
) {
    let throttles = small();
    let password = || Password::parse("correct horse battery").unwrap();
    let wrong = || Password::candidate("wrong horse battery").unwrap();
    let (guesser, owner) = (address("198.51.100.66"), address("2001:db8::7"));
    let start = Utc::now();
    let ada = users::sign_up(&store, &hasher, email("ada@example.com"), password(), start).await.unwrap();
    let sign_in = |target: &Email, candidate: Password, from: &ClientAddress, now| {
        let (target, from) = (target.clone(), from.clone());
        let (store, attempts, hasher) = (&store, &attempts, &hasher);
        async move { users::sign_in(store, attempts, hasher, (&target, candidate), &from, &throttles, now).await }
    };

    // A success after a failure forgets it.
    assert!(matches!(sign_in(&ada.email, wrong(), &owner, start).await, Err(Error::Unauthorized(_))));
    sign_in(&ada.email, password(), &owner, start).await.unwrap();
    let here = users::email_from_key(&ada.email, &owner);
    assert_eq!(attempts.failures(&here, start - SIGN_IN_WINDOW).await.unwrap(), None);
    assert_eq!(attempts.failures(&users::email_key(&ada.email), start - SIGN_IN_WINDOW).await.unwrap(), None);

    for target in [ada.email.clone(), email("nobody@example.com")] {
        for _ in 0..throttles.sign_in_failures_per_address {
            let outcome = sign_in(&target, wrong(), &guesser, start).await;
            assert!(matches!(outcome, Err(Error::Unauthorized(_))), "{target:?}: {outcome:?}");
        }
        let soon = start + Duration::minutes(10);
        for candidate in [wrong(), password()] {
            match sign_in(&target, candidate, &guesser, soon).await {
                Err(Error::TooManyRequests { retry_after, .. }) => assert_eq!(retry_after, 5 * 60),
                other => panic!("{target:?}: {other:?}"),
            }
        }
    }
    // The guesser's failures do not lock the owner out.
    let signed_in = sign_in(&ada.email, password(), &owner, start + Duration::minutes(10)).await.unwrap();
    assert_eq!(signed_in.id, ada.id, "the owner, at another address, signs in");

    // Guesses spread over addresses stop at the email's ceiling, for every address.
    let spread = start + Duration::minutes(11);
    for n in 0..throttles.sign_in_failures_per_email {
        let outcome = sign_in(&ada.email, wrong(), &address(&format!("192.0.2.{n}")), spread).await;
        assert!(matches!(outcome, Err(Error::Unauthorized(_))), "{outcome:?}");
    }
    for from in [&owner, &address("192.0.2.200")] {
        let outcome = sign_in(&ada.email, password(), from, spread).await;
        assert!(matches!(outcome, Err(Error::TooManyRequests { .. })), "{from:?}: {outcome:?}");
    }
    let passed = spread + SIGN_IN_WINDOW + Duration::seconds(1);
    let back = sign_in(&ada.email, password(), &owner, passed).await.unwrap();
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

/// Twenty concurrent wrong sign-ins for one email from one address get five password checks
/// (five 401, fifteen 429); from twenty addresses, the email's ceiling (eight). The locks
/// cannot be raced.
pub async fn concurrent_guesses_get_no_more_password_checks_than_the_limits(
    store: impl UserStore + Clone + 'static,
    attempts: impl SignInAttempts + Clone + 'static,
    hasher: impl PasswordHasher + Clone + 'static,
) {
    let throttles = small();
    let hasher = Counting { inner: hasher, checks: Default::default() };
    for (raw, spread) in [("guessed@example.com", false), ("spread@example.com", true)] {
        let password = Password::parse("correct horse battery").unwrap();
        let ada = users::sign_up(&store, &hasher, email(raw), password, Utc::now()).await.unwrap();
        hasher.checks.store(0, std::sync::atomic::Ordering::SeqCst);
        let mut guesses = tokio::task::JoinSet::new();
        for n in 0..20 {
            let (store, attempts, hasher, email) = (store.clone(), attempts.clone(), hasher.clone(), ada.email.clone());
            let from = address(&if spread { format!("192.0.2.{n}") } else { "198.51.100.66".to_owned() });
            guesses.spawn(async move {
                let guess = Password::candidate(&format!("wrong guess {n}")).unwrap();
                users::sign_in(&store, &attempts, &hasher, (&email, guess), &from, &throttles, Utc::now()).await
            });
        }
        let outcomes = guesses.join_all().await;
        let unauthorized = outcomes.iter().filter(|outcome| matches!(outcome, Err(Error::Unauthorized(_)))).count();
        let throttled = outcomes.iter().filter(|outcome| matches!(outcome, Err(Error::TooManyRequests { .. }))).count();
        let limit =
            if spread { throttles.sign_in_failures_per_email } else { throttles.sign_in_failures_per_address } as usize;
        assert_eq!((unauthorized, throttled), (limit, 20 - limit), "{raw}");
        assert_eq!(hasher.checks.load(std::sync::atomic::Ordering::SeqCst), limit, "{raw}: password checks");
    }
}

/// An address makes its sign-ups in a window, a refused one (the email in use) included,
/// then 429 before any hashing, until the window passes; another address is not held.
pub async fn an_address_makes_so_many_sign_ups_in_a_window(
    store: impl UserStore,
    attempts: impl SignInAttempts,
    hasher: impl PasswordHasher + Clone,
) {
    let throttles = small();
    let hasher = Counting { inner: hasher, checks: Default::default() };
    let (asker, other) = (address("198.51.100.66"), address("203.0.113.9"));
    let start = Utc::now();
    let sign_up = |raw: &str, from: &ClientAddress, now| {
        let credentials = (email(raw), Password::parse("correct horse battery").unwrap());
        let from = from.clone();
        let (store, attempts, hasher) = (&store, &attempts, &hasher);
        async move { users::sign_up_from(store, attempts, hasher, credentials, &from, &throttles, now).await }
    };
    sign_up("ada@example.com", &asker, start).await.unwrap();
    assert!(matches!(sign_up("ada@example.com", &asker, start).await, Err(Error::Conflict(_))), "a 409 counts");
    sign_up("grace@example.com", &asker, start).await.unwrap();
    let minute = start + Duration::minutes(1);
    match sign_up("alan@example.com", &asker, minute).await {
        Err(Error::TooManyRequests { retry_after, .. }) => assert_eq!(retry_after, 59 * 60),
        other => panic!("{other:?}"),
    }
    assert!(store.find_by_email(&email("alan@example.com")).await.unwrap().is_none(), "nothing was created");
    sign_up("alan@example.com", &other, minute).await.expect("another address is not held");
    sign_up("edsger@example.com", &asker, start + throttles.sign_up_window + Duration::seconds(1))
        .await
        .expect("the window passed");
}
