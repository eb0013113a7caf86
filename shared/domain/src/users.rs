//! Signing up, signing in, and ending sessions.

use chrono::{DateTime, Utc};

use crate::entities::{Email, Password, User};
use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::ports::{Failures, PasswordHasher, Reserved, SignInAttempts, UserStore};

/// Creates an account. The store's conditional write decides email uniqueness.
pub async fn sign_up(
    store: &impl UserStore,
    hasher: &impl PasswordHasher,
    email: Email,
    password: Password,
    now: DateTime<Utc>,
) -> Result<User> {
    let password_hash = hasher.hash(password).await?;
    let user = User { id: UserId::generate(), email, password_hash, created_at: now, session_generation: 0 };
    store.insert(&user).await?;
    Ok(user)
}

/// How many failed sign-ins for one email a window allows, and how long a window lasts.
pub const MAX_FAILED_SIGN_INS: u32 = 5;
pub const SIGN_IN_WINDOW: chrono::Duration = chrono::Duration::minutes(15);

const TOO_MANY_ATTEMPTS: &str = "Too many failed sign-ins for this email; try again later";

/// Checks credentials. An unknown email costs the same verification as a wrong password,
/// and both answer the same error. After [`MAX_FAILED_SIGN_INS`] failures for one email
/// within [`SIGN_IN_WINDOW`], every attempt (even with the right password) answers 429
/// until the window has passed, whether or not the email has an account. The attempt is
/// reserved (counted) before the password is checked, atomically, so concurrent guesses
/// get no more checks than the limit; a success gives it back with the window.
pub async fn sign_in(
    store: &impl UserStore,
    attempts: &impl SignInAttempts,
    hasher: &impl PasswordHasher,
    email: &Email,
    password: Password,
    now: DateTime<Utc>,
) -> Result<User> {
    let opened_after = now - SIGN_IN_WINDOW;
    let reserved = attempts.reserve(email, now, opened_after, now + SIGN_IN_WINDOW, MAX_FAILED_SIGN_INS).await?;
    if let Reserved::Refused(failures) = reserved {
        return Err(too_many(failures, now));
    }
    let user = store.find_by_email(email).await?;
    let hash = user.as_ref().map(|user| user.password_hash.clone());
    match (hasher.verify(password, hash).await?, user) {
        (true, Some(user)) => {
            attempts.clear(email).await?;
            Ok(user)
        }
        // The reserved attempt stays counted: it failed.
        _ => Err(Error::Unauthorized("Invalid credentials")),
    }
}

/// 429 until the window of `failures` has passed.
fn too_many(failures: Failures, now: DateTime<Utc>) -> Error {
    let retry_after = crate::time::seconds_until(failures.since + SIGN_IN_WINDOW, now);
    Error::TooManyRequests { message: TOO_MANY_ATTEMPTS, retry_after }
}

/// A session as its signed token states it: whose, and of which generation of its account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: UserId,
    pub email: Email,
    pub generation: u32,
}

const SESSION_ENDED: &str = "Session ended; sign in again";

/// Whether `session` still stands: its account exists and has not ended its sessions since
/// the session was issued. A read of the account: the routes that move money or credentials
/// check it; the others trust a signed session until it expires.
pub async fn check_session(store: &impl UserStore, session: &Session) -> Result<()> {
    match store.find_by_email(&session.email).await? {
        Some(user) if user.id == session.user && user.session_generation == session.generation => Ok(()),
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
