//! E-mail verification. Sign-up asks for it (its event is stored with the account, in one
//! atomic write), and so may the account's owner again; the mail sender mints a single-use
//! token as it mails the link ([`crate::tokens`]: only its hash is stored, for
//! [`TOKEN_LIFETIME`]); the token marks the address verified, once. Only connecting a payout
//! account asks for a verified address: nothing else a client does needs it.

use chrono::{DateTime, Utc};

use crate::change::Change;
use crate::entities::{Redemption, TokenPurpose, User};
use crate::error::{Error, Result};
use crate::ports::{ChangeStore, Secrets, SignInAttempts, UserStore};
use crate::tokens;
use crate::users::{self, Session};

/// How long a verification link works.
pub const TOKEN_LIFETIME: chrono::Duration = chrono::Duration::hours(24);

/// How many verification mails an account may ask for again in an hour.
pub const RESENDS_PER_ACCOUNT: u32 = 5;
const RESEND_WINDOW: chrono::Duration = chrono::Duration::hours(1);

pub const ALREADY_VERIFIED: &str = "Your e-mail address is already verified";
pub const NOT_VERIFIED: &str = "Verify your e-mail address first: we mailed you a link";
const TOO_MANY_RESENDS: &str = "Too many verification mails asked for; try again later";

/// The owner of `session`'s account asks for another verification mail: one event through
/// the outbox. 409 when the address is verified already; 429 with `Retry-After` after
/// [`RESENDS_PER_ACCOUNT`] in an hour.
pub async fn resend(
    (users, attempts, changes): (&impl UserStore, &impl SignInAttempts, &impl ChangeStore),
    session: &Session,
    now: DateTime<Utc>,
) -> Result<()> {
    let account = users::check_session(users, session).await?;
    if account.email_verified() {
        return Err(Error::Conflict(ALREADY_VERIFIED));
    }
    let key = users::verifications_key(&account.id);
    users::reserve(attempts, &key, (RESENDS_PER_ACCOUNT, RESEND_WINDOW), now, TOO_MANY_RESENDS).await?;
    let asked = users::verification_requested(&account.id, now)?;
    changes.commit(&Change { events: vec![asked], ..Change::default() }).await
}

/// A token verifying `user`'s address, in place of any earlier one, working until
/// [`TOKEN_LIFETIME`] from `now`. The token is for the mail only.
pub async fn issue(users: &impl UserStore, secrets: &impl Secrets, user: &User, now: DateTime<Utc>) -> Result<String> {
    tokens::issue(users, secrets, user, (TokenPurpose::EmailVerification, TOKEN_LIFETIME), now).await
}

/// Marks the address of the account `token` names verified, if the token is that account's
/// current one and has not expired; once. Any bad token is one 400 on `token`.
pub async fn confirm(users: &impl UserStore, secrets: &impl Secrets, token: &str, now: DateTime<Utc>) -> Result<()> {
    let (account, secret) = tokens::account_of(users, token).await?;
    tokens::redeem(users, secrets, (&account, secret), Redemption::EmailVerification, now).await?;
    tracing::info!(user = %account.id, "e-mail address verified");
    Ok(())
}

/// 403 unless `account`'s address is verified.
pub fn require_verified(account: &User) -> Result<()> {
    if account.email_verified() { Ok(()) } else { Err(Error::Forbidden(NOT_VERIFIED)) }
}
