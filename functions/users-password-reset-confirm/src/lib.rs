//! `POST /api/users/password-reset/confirm` `{token, password}`: 204, the password set
//! (sign-up's rules) and every session issued before ended; 400 for a token that is unknown,
//! used, replaced by a newer one or expired (one answer for all), or a password that breaks
//! the rules.

use aws_adapters::UsersTable;
use chrono::Utc;
use domain::password_reset;
use domain::ports::{PasswordHasher, Secrets, UserStore};
use edge::{Request, Response, Result, http, requests};

pub type Config = (UsersTable,);

pub async fn handle(
    users: &impl UserStore,
    (hasher, secrets): (&impl PasswordHasher, &impl Secrets),
    req: Request,
) -> Result<Response> {
    let (token, password) = requests::reset_confirmation(&req)?;
    password_reset::confirm(users, hasher, secrets, &token, password, Utc::now()).await?;
    Ok(http::no_content())
}
