//! `POST /api/users/signout` `{everywhere?}`: 200 `{}` and the session cookie cleared. It
//! takes a JSON object (`{}`), as every other write does: a cross-site form cannot sign a
//! person out. `{"everywhere": true}` also ends every session of the account issued so far
//! (signed in, with a session that still stands; 401 otherwise).

use aws_adapters::UsersTable;
use domain::ports::UserStore;
use domain::users;
use edge::auth::SessionVerifier;
use edge::{Request, Response, Result, http, requests};

pub type Config = (SessionVerifier, UsersTable);

pub async fn handle(users: &impl UserStore, sessions: &SessionVerifier, req: Request) -> Result<Response> {
    if requests::sign_out(&req)? {
        users::end_sessions(users, &sessions.require_session(&req)?).await?;
    }
    http::with_cookie(http::json(200, &http::Empty {})?, &edge::auth::cleared_cookie())
}
