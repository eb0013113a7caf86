//! `POST /api/users/signup` `{email, password}`: 201 `{id, email}` and a session cookie, and a
//! mail asking to verify the address follows; 409 for an email in use; 429 with `Retry-After` once the client's address has made its
//! sign-ups of the hour (ten by default).

use aws_adapters::{OutboxTable, SignInAttemptsTable, UsersTable};
use chrono::Utc;
use domain::entities::Password;
use domain::ports::{PasswordHasher, SignInAttempts, UserStore};
use domain::users::{self, Throttles};
use edge::address::{OriginSecret, Throttling};
use edge::auth::SessionIssuer;
use edge::{Request, Response, Result, requests};

pub type Config = (SessionIssuer, UsersTable, SignInAttemptsTable, OutboxTable, Throttles, OriginSecret);

pub async fn handle(
    store: &impl UserStore,
    attempts: &impl SignInAttempts,
    hasher: &impl PasswordHasher,
    sessions: &SessionIssuer,
    throttling: Throttling<'_>,
    req: Request,
) -> Result<Response> {
    let credentials = requests::credentials(&req, Password::parse)?;
    let now = Utc::now();
    let from = throttling.client_address(&req);
    let user = users::sign_up_from(store, attempts, hasher, credentials, &from, throttling.limits, now).await?;
    sessions.start(201, &user, now)
}
