//! `GET /api/users/currentuser`: `{"currentUser": {id, email, iat, exp}}` for a valid
//! session, `{"currentUser": null}` otherwise.

use edge::auth::{CurrentUserBody, SessionVerifier};
use edge::{Request, Response, Result, http};

pub type Config = SessionVerifier;

pub async fn handle(sessions: &SessionVerifier, req: Request) -> Result<Response> {
    http::json(200, &CurrentUserBody { current_user: sessions.current_user(&req).map(Into::into) })
}
