//! `POST /api/users/signout`: 200 `{}` and the session cookie cleared.

use lambda_http::Request;
use shared::auth::Sessions;
use shared::http::{self, HttpResponse};

pub async fn handle(_req: Request) -> HttpResponse {
    http::respond(
        http::json(200, &serde_json::json!({}))
            .and_then(|response| http::with_cookie(response, &Sessions::cleared_cookie())),
    )
}
