//! `POST /api/users/verify-email` `{token}`: 204, the address of the account the token (from
//! its verification mail's link) is for marked verified, once; 400 for a token that is
//! unknown, used, replaced by a newer one or expired (one answer for all). No session needed:
//! the link may be opened anywhere.

use aws_adapters::UsersTable;
use chrono::Utc;
use domain::email_verification;
use domain::ports::{Secrets, UserStore};
use edge::{Request, Response, Result, http, requests};

pub type Config = (UsersTable,);

pub async fn handle(users: &impl UserStore, secrets: &impl Secrets, req: Request) -> Result<Response> {
    let token = requests::verification(&req)?;
    email_verification::confirm(users, secrets, &token, Utc::now()).await?;
    Ok(http::no_content())
}
