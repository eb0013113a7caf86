//! `GET /api/users/currentuser`: `{"currentUser": {id, email, iat, exp, emailVerified,
//! mailSuppressed}}` for a valid session (the last two read from the account), `{"currentUser":
//! null}` otherwise.

use aws_adapters::UsersTable;
use domain::ports::UserStore;
use edge::auth::SessionVerifier;
use edge::{Request, Response, Result, http};

pub type Config = (SessionVerifier, UsersTable);

pub async fn handle(users: &impl UserStore, sessions: &SessionVerifier, req: Request) -> Result<Response> {
    http::json(200, &sessions.current_user_body(&req, users).await?)
}
