//! Password reset. The owner of an address asks for it; the mail sender mints a single-use
//! token for the account and mails it in a link to the web client, storing only the token's
//! hash with an expiry ([`TOKEN_LIFETIME`]): no token is ever logged, queued, put on the bus
//! or stored in clear. The token with a new password (sign-up's rules) sets the password
//! once, and every session issued before stops standing.

use chrono::{DateTime, Utc};

use crate::change::Change;
use crate::entities::{Email, Password, Redemption, TokenPurpose, User};
use crate::error::Result;
use crate::events::EventType;
use crate::ports::{ChangeStore, PasswordHasher, Secrets, SignInAttempts, UserStore};
use crate::tokens;
use crate::users::{self, ClientAddress};

/// How long a reset link works.
pub const TOKEN_LIFETIME: chrono::Duration = chrono::Duration::minutes(30);

/// How many resets an address may ask for, and how many a client address, in an hour.
pub const REQUESTS_PER_EMAIL: u32 = 5;
pub const REQUESTS_PER_ADDRESS: u32 = 20;
const REQUEST_WINDOW: chrono::Duration = chrono::Duration::hours(1);

/// Someone at `from` asks for a reset of `email`'s password: one event saying which account
/// it is (or that there is none), committed through the outbox in both cases, so that neither
/// the answer nor the work tells whether the address has an account. Throttled per address
/// asked for and per client address (429 with `Retry-After`).
pub async fn request(
    (users, attempts, changes): (&impl UserStore, &impl SignInAttempts, &impl ChangeStore),
    email: &Email,
    from: &ClientAddress,
    now: DateTime<Utc>,
) -> Result<()> {
    let (per_email, per_address) = ((REQUESTS_PER_EMAIL, REQUEST_WINDOW), (REQUESTS_PER_ADDRESS, REQUEST_WINDOW));
    users::reserve(attempts, &users::reset_key(email), per_email, now, TOO_MANY_REQUESTS).await?;
    users::reserve(attempts, &users::resets_from_key(from), per_address, now, TOO_MANY_REQUESTS).await?;
    let user_id = users.find_by_email(email).await?.map(|user| user.id);
    let event = users::account_event(EventType::PasswordResetRequested, user_id.as_ref(), now)?;
    changes.commit(&Change { events: vec![event], ..Change::default() }).await
}

const TOO_MANY_REQUESTS: &str = "Too many password resets asked for; try again later";

/// A token for `user`'s account, `<user id>.<secret>`: the secret's hash is stored as the
/// account's reset (in place of any earlier one), working until [`TOKEN_LIFETIME`] from
/// `now`. The token is for the mail only.
pub async fn issue(users: &impl UserStore, secrets: &impl Secrets, user: &User, now: DateTime<Utc>) -> Result<String> {
    tokens::issue(users, secrets, user, (TokenPurpose::PasswordReset, TOKEN_LIFETIME), now).await
}

/// Sets `password` for the account `token` names, if the token is that account's current
/// one and has not expired; once.
pub async fn confirm(
    users: &impl UserStore,
    hasher: &impl PasswordHasher,
    secrets: &impl Secrets,
    token: &str,
    password: Password,
    now: DateTime<Utc>,
) -> Result<()> {
    let (account, secret) = tokens::account_of(users, token).await?;
    // Hashed before the token is checked: a wrong token costs what a right one does.
    let password = hasher.hash(password).await?;
    tokens::redeem(users, secrets, (&account, secret), Redemption::PasswordReset(password), now).await?;
    tracing::info!(user = %account.id, "password reset");
    Ok(())
}
