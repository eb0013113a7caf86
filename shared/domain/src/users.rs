//! Signing up and signing in.

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
    let user = User { id: UserId::generate(), email, password_hash: hasher.hash(password).await?, created_at: now };
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
