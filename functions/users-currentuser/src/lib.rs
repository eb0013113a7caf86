//! `GET /api/users/currentuser`: `{"currentUser": {id, email, iat, exp}}` for a valid
//! session, `{"currentUser": null}` otherwise.

use lambda_http::Request;
use serde::Serialize;
use shared::auth::{Claims, Sessions};
use shared::http::{self, HttpResponse};

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

pub async fn handle(sessions: &Sessions, req: Request) -> HttpResponse {
    let body = Body { current_user: sessions.current_user(&req).map(CurrentUser::from) };
    http::respond(http::json(200, &body))
}
