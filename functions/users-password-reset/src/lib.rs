//! `POST /api/users/password-reset` `{email}`: 202 `{}` whether or not the address has an
//! account (the same answer and the same work: one event through the outbox saying which
//! account, or none); the mail with the link follows. 429 with `Retry-After` after five
//! requests for the address, or twenty from the client's address, in an hour.

use aws_adapters::{OutboxTable, SignInAttemptsTable, UsersTable};
use chrono::Utc;
use domain::password_reset;
use domain::ports::{ChangeStore, SignInAttempts, UserStore};
use edge::address::OriginSecret;
use edge::http::Empty;
use edge::{Request, Response, Result, http, requests};

pub type Config = (UsersTable, SignInAttemptsTable, OutboxTable, OriginSecret);

pub async fn handle(
    stores: (&impl UserStore, &impl SignInAttempts, &impl ChangeStore),
    origin: &OriginSecret,
    req: Request,
) -> Result<Response> {
    let email = requests::reset_request(&req)?;
    password_reset::request(stores, &email, &edge::address::client_address(&req, origin), Utc::now()).await?;
    http::json(202, &Empty {})
}
