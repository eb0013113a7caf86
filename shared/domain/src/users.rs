//! Signing up, signing in, and ending sessions.

use chrono::{DateTime, Utc};

use crate::config::{ConfigError, Env, FromEnv};
use crate::entities::{Email, Password, User};
use crate::error::{Error, Result};
use crate::events::{Event, EventType};
use crate::ids::UserId;
use crate::ports::{AttemptKey, AttemptWindow, PasswordHasher, Reserved, SignInAttempts, UserStore};

/// Creates an account, and asks for its address to be verified (the event stored with the
/// account, in one write). The store's conditional write decides email uniqueness.
pub async fn sign_up(
    store: &impl UserStore,
    hasher: &impl PasswordHasher,
    email: Email,
    password: Password,
    now: DateTime<Utc>,
) -> Result<User> {
    let password_hash = hasher.hash(password).await?;
    let user = User {
        id: UserId::generate(),
        email,
        password_hash,
        created_at: now,
        session_generation: 0,
        mail_suppressed: None,
        reset_token: None,
        email_verified_at: None,
        verification_token: None,
    };
    store.insert(&user, &[verification_requested(&user.id, now)?]).await?;
    Ok(user)
}

/// The event that asks for `user`'s address to be verified
/// ([`crate::email_verification`]).
pub fn verification_requested(user: &UserId, now: DateTime<Utc>) -> Result<Event> {
    account_event(EventType::EmailVerificationRequested, Some(user), now)
}

/// An event about an account, `{userId, version: 0}` (`userId` null when the address asked
/// about has none): what the account's owner asked for, never a secret.
pub(crate) fn account_event(kind: EventType, user: Option<&UserId>, now: DateTime<Utc>) -> Result<Event> {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Asked<'a> {
        user_id: Option<&'a UserId>,
        version: u64,
    }
    Event::new(kind, 0, &Asked { user_id: user, version: 0 }, now)
}

/// Where a request came from: the client's IP address, as the edge establishes it (never
/// from a header a client can set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddress(String);

impl ClientAddress {
    /// An IPv4 or IPv6 address, in its canonical form.
    pub fn parse(raw: &str) -> Option<Self> {
        raw.trim().parse::<std::net::IpAddr>().ok().map(|ip| Self(ip.to_string()))
    }

    /// A request whose address is not known (all such share one count).
    pub fn unknown() -> Self {
        Self("unknown".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How many failed sign-ins a window allows for one email from one client address (the
/// lock a guesser meets), and for one email from anywhere (a higher ceiling, against guesses
/// spread over many addresses), and how long a window lasts.
pub const MAX_FAILED_SIGN_INS: u32 = 5;
pub const MAX_FAILED_SIGN_INS_PER_EMAIL: u32 = 50;
pub const SIGN_IN_WINDOW: chrono::Duration = chrono::Duration::minutes(15);
/// How many sign-ups a window allows from one client address (a 409 tells which emails have
/// an account: this limits how fast anyone can ask), and how long that window lasts.
pub const MAX_SIGN_UPS: u32 = 10;
pub const SIGN_UP_WINDOW: chrono::Duration = chrono::Duration::hours(1);

/// The limits of signing in and up, each configurable: `SIGN_IN_FAILURES_PER_ADDRESS` (5),
/// `SIGN_IN_FAILURES_PER_EMAIL` (50), `SIGN_IN_WINDOW_SECONDS` (900), `SIGN_UPS_PER_ADDRESS`
/// (10) and `SIGN_UP_WINDOW_SECONDS` (3600).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttles {
    pub sign_in_failures_per_address: u32,
    pub sign_in_failures_per_email: u32,
    pub sign_in_window: chrono::Duration,
    pub sign_ups_per_address: u32,
    pub sign_up_window: chrono::Duration,
}

impl Default for Throttles {
    fn default() -> Self {
        Self {
            sign_in_failures_per_address: MAX_FAILED_SIGN_INS,
            sign_in_failures_per_email: MAX_FAILED_SIGN_INS_PER_EMAIL,
            sign_in_window: SIGN_IN_WINDOW,
            sign_ups_per_address: MAX_SIGN_UPS,
            sign_up_window: SIGN_UP_WINDOW,
        }
    }
}

impl FromEnv for Throttles {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let seconds = |name, default: chrono::Duration| -> Result<chrono::Duration, ConfigError> {
            let secs = env.seconds(name, default.num_seconds().unsigned_abs())?.as_secs();
            Ok(chrono::Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX)))
        };
        Ok(Self {
            sign_in_failures_per_address: env
                .count("SIGN_IN_FAILURES_PER_ADDRESS", defaults.sign_in_failures_per_address)?,
            sign_in_failures_per_email: env.count("SIGN_IN_FAILURES_PER_EMAIL", defaults.sign_in_failures_per_email)?,
            sign_in_window: seconds("SIGN_IN_WINDOW_SECONDS", defaults.sign_in_window)?,
            sign_ups_per_address: env.count("SIGN_UPS_PER_ADDRESS", defaults.sign_ups_per_address)?,
            sign_up_window: seconds("SIGN_UP_WINDOW_SECONDS", defaults.sign_up_window)?,
        })
    }
}

/// Password resets asked for `email`.
pub fn reset_key(email: &Email) -> AttemptKey {
    AttemptKey(format!("reset#{}", email.as_str()))
}

/// Password resets asked for from `from`.
pub fn resets_from_key(from: &ClientAddress) -> AttemptKey {
    AttemptKey(format!("resets-from#{}", from.as_str()))
}

/// Failed sign-ins for `email`, from anywhere (the key it was counted under before client
/// addresses were).
pub fn email_key(email: &Email) -> AttemptKey {
    AttemptKey(email.as_str().to_owned())
}

/// Failed sign-ins for `email` from `from` (an email has no space: the key is unambiguous).
pub fn email_from_key(email: &Email, from: &ClientAddress) -> AttemptKey {
    AttemptKey(format!("{} from {}", email.as_str(), from.as_str()))
}

/// Verification mails asked for again by `user`.
pub fn verifications_key(user: &UserId) -> AttemptKey {
    AttemptKey(format!("verifications#{}", user.as_str()))
}

/// Sign-ups from `from`.
pub fn sign_ups_key(from: &ClientAddress) -> AttemptKey {
    AttemptKey(format!("sign-ups from {}", from.as_str()))
}

const TOO_MANY_ATTEMPTS: &str = "Too many failed sign-ins for this email; try again later";
const TOO_MANY_SIGN_UPS: &str = "Too many sign-ups from this address; try again later";

/// Reserves an attempt under `key` in its window, `limit` a window; once the window counts
/// its limit, 429 `message` until the window has passed.
pub(crate) async fn reserve(
    attempts: &impl SignInAttempts,
    key: &AttemptKey,
    (limit, window): (u32, chrono::Duration),
    now: DateTime<Utc>,
    message: &'static str,
) -> Result<()> {
    match attempts.reserve(key, AttemptWindow::at(now, window, limit)).await? {
        Reserved::Granted(_) => Ok(()),
        Reserved::Refused(counted) => {
            let retry_after = crate::time::seconds_until(counted.since + window, now);
            Err(Error::TooManyRequests { message, retry_after })
        }
    }
}

/// Creates an account for a request from `from`, after counting it against the sign-ups
/// that address may make in a window (429 once it has made them, before any hashing).
pub async fn sign_up_from(
    store: &impl UserStore,
    attempts: &impl SignInAttempts,
    hasher: &impl PasswordHasher,
    (email, password): (Email, Password),
    from: &ClientAddress,
    throttles: &Throttles,
    now: DateTime<Utc>,
) -> Result<User> {
    let limit = (throttles.sign_ups_per_address, throttles.sign_up_window);
    reserve(attempts, &sign_ups_key(from), limit, now, TOO_MANY_SIGN_UPS).await?;
    sign_up(store, hasher, email, password, now).await
}

/// Checks credentials offered from `from`. An unknown email costs the same verification as a
/// wrong password, and both answer the same error. Failures are counted per email and
/// client address, and per email from anywhere: once either reaches its limit within its
/// window, every attempt it covers (even with the right password) answers 429 until the
/// window has passed, whether or not the email has an account. So a guesser at one address
/// is locked after a few guesses, while the account's owner, at another, signs in until the
/// much higher ceiling of the email. Each attempt is reserved (counted) before the password
/// is checked, atomically, so concurrent guesses get no more checks than the limits; a
/// success gives both back with their windows.
pub async fn sign_in(
    store: &impl UserStore,
    attempts: &impl SignInAttempts,
    hasher: &impl PasswordHasher,
    (email, password): (&Email, Password),
    from: &ClientAddress,
    throttles: &Throttles,
    now: DateTime<Utc>,
) -> Result<User> {
    let window = throttles.sign_in_window;
    let (here, anywhere) = (email_from_key(email, from), email_key(email));
    // The address's count first: a guesser refused there does not count against the email.
    reserve(attempts, &here, (throttles.sign_in_failures_per_address, window), now, TOO_MANY_ATTEMPTS).await?;
    reserve(attempts, &anywhere, (throttles.sign_in_failures_per_email, window), now, TOO_MANY_ATTEMPTS).await?;
    let user = store.find_by_email(email).await?;
    let hash = user.as_ref().map(|user| user.password_hash.clone());
    match (hasher.verify(password, hash).await?, user) {
        (true, Some(user)) => {
            attempts.clear(&here).await?;
            attempts.clear(&anywhere).await?;
            Ok(user)
        }
        // The reserved attempts stay counted: they failed.
        _ => Err(Error::Unauthorized("Invalid credentials")),
    }
}

/// A session as its signed token states it: whose, and of which generation of its account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: UserId,
    pub email: Email,
    pub generation: u32,
}

impl Session {
    /// A session of `user`'s account as it stands now.
    pub fn of(user: &User) -> Self {
        Self { user: user.id.clone(), email: user.email.clone(), generation: user.session_generation }
    }
}

const SESSION_ENDED: &str = "Session ended; sign in again";

/// The account of `session`, if the session still stands: its account exists and has not
/// ended its sessions since the session was issued. A read of the account: the routes that move money or credentials
/// check it; the others trust a signed session until it expires.
pub async fn check_session(store: &impl UserStore, session: &Session) -> Result<User> {
    match store.find_by_email(&session.email).await? {
        Some(user) if user.id == session.user && user.session_generation == session.generation => Ok(user),
        _ => Err(Error::Unauthorized(SESSION_ENDED)),
    }
}

/// Signs the user out everywhere: every session issued so far, `session` included, stops
/// standing ([`check_session`] refuses it). Only a standing session can do it.
pub async fn end_sessions(store: &impl UserStore, session: &Session) -> Result<()> {
    check_session(store, session).await?;
    store.end_sessions(&session.email, &session.user).await?;
    Ok(())
}
