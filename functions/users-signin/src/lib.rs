//! `POST /api/users/signin` `{email, password}`: 200 `{id, email}` and a session cookie; 401
//! for unknown credentials; 429 with `Retry-After` after five failures for the email from
//! the client's address within fifteen minutes, or fifty from anywhere.

use aws_adapters::{SignInAttemptsTable, UsersTable};
use chrono::Utc;
use domain::entities::Password;
use domain::ports::{PasswordHasher, SignInAttempts, UserStore};
use domain::users::{self, Throttles};
use edge::address::{OriginSecret, Throttling};
use edge::auth::SessionIssuer;
use edge::{Request, Response, Result, requests};

pub type Config = (SessionIssuer, UsersTable, SignInAttemptsTable, Throttles, OriginSecret);

pub async fn handle(
    store: &impl UserStore,
    attempts: &impl SignInAttempts,
    hasher: &impl PasswordHasher,
    sessions: &SessionIssuer,
    throttling: Throttling<'_>,
    req: Request,
) -> Result<Response> {
    let (email, password) = requests::credentials(&req, Password::candidate)?;
    let now = Utc::now();
    let from = throttling.client_address(&req);
    let user = users::sign_in(store, attempts, hasher, (&email, password), &from, throttling.limits, now).await?;
    sessions.start(200, &user, now)
}
