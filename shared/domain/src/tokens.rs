//! An account's single-use tokens (a password reset, an e-mail verification): `<user id>.<secret>`,
//! minted by the mail sender as it mails the link. Only the secret's hash is stored, with an
//! expiry, in place of the account's earlier token for the same purpose: no token is ever
//! logged, queued, put on the bus or stored in clear.

use chrono::{DateTime, Utc};

use crate::entities::{Redemption, StoredToken, TokenPurpose, User};
use crate::error::{Error, FieldError, Result};
use crate::ids::UserId;
use crate::ports::{Secrets, UserStore};

/// Whatever was wrong with a token (unknown, used, replaced by a newer one, expired): one
/// answer, so that it tells nothing.
pub const INVALID_TOKEN: &str = "This link is invalid or has expired; ask for another";

fn invalid() -> Error {
    Error::Validation(vec![FieldError::new("token", INVALID_TOKEN)])
}

/// A token for `user`'s account, for `purpose`, working for `lifetime` from `now`: its
/// secret's hash is stored in place of any earlier one. The token is for the mail only.
pub async fn issue(
    users: &impl UserStore,
    secrets: &impl Secrets,
    user: &User,
    (purpose, lifetime): (TokenPurpose, chrono::Duration),
    now: DateTime<Utc>,
) -> Result<String> {
    let secret = secrets.mint()?;
    let stored = StoredToken { hash: secrets.hash(&secret), expires_at: now + lifetime };
    if !users.put_token(&user.email, purpose, &stored).await? {
        return Err(Error::Internal(anyhow::anyhow!("no account {} for a token", user.id)));
    }
    Ok(format!("{}.{secret}", user.id))
}

/// The account `token` names, and the token's secret; the one 400 on `token` when it names
/// none.
pub async fn account_of<'t>(users: &impl UserStore, token: &'t str) -> Result<(User, &'t str)> {
    let (user, secret) =
        token.split_once('.').filter(|(user, secret)| !user.is_empty() && !secret.is_empty()).ok_or_else(invalid)?;
    match users.find_by_id(&UserId::from(user)).await? {
        Some(account) => Ok((account, secret)),
        None => Err(invalid()),
    }
}

/// Uses up `account`'s token whose secret is `secret`, applying `redemption`, if it is the
/// account's current one for that purpose and works at `now`; the one 400 on `token`
/// otherwise.
pub async fn redeem(
    users: &impl UserStore,
    secrets: &impl Secrets,
    (account, secret): (&User, &str),
    redemption: Redemption,
    now: DateTime<Utc>,
) -> Result<()> {
    if users.redeem_token(&account.email, &redemption, &secrets.hash(secret), now).await? {
        Ok(())
    } else {
        Err(invalid())
    }
}
