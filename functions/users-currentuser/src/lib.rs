//! `GET /api/users/currentuser`: `{"currentUser": {id, email, iat, exp}}` for a valid
//! session, `{"currentUser": null}` otherwise.

use edge::auth::{Claims, SessionVerifier};
use edge::{Request, Response, Result, http};
use serde::Serialize;

pub type Config = SessionVerifier;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    current_user: Option<CurrentUser>,
}

#[derive(Serialize)]
struct CurrentUser {
    id: String,
    email: String,
    iat: i64,
    exp: i64,
}

impl From<Claims> for CurrentUser {
    fn from(claims: Claims) -> Self {
        Self { id: claims.sub, email: claims.email, iat: claims.iat, exp: claims.exp }
    }
}

pub async fn handle(sessions: &SessionVerifier, req: Request) -> Result<Response> {
    http::json(200, &Body { current_user: sessions.current_user(&req).map(CurrentUser::from) })
}
