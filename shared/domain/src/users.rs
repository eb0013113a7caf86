//! Signing up and signing in.

use chrono::{DateTime, Utc};

use crate::entities::{Email, Password, User};
use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::ports::{PasswordHasher, UserStore};

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

/// Checks credentials. An unknown email costs the same verification as a wrong password,
/// and both answer the same error.
pub async fn sign_in(
    store: &impl UserStore,
    hasher: &impl PasswordHasher,
    email: &Email,
    password: Password,
) -> Result<User> {
    let user = store.find_by_email(email).await?;
    let hash = user.as_ref().map(|user| user.password_hash.clone());
    match (hasher.verify(password, hash).await?, user) {
        (true, Some(user)) => Ok(user),
        _ => Err(Error::Unauthorized("Invalid credentials")),
    }
}
