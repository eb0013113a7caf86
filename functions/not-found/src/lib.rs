//! The HTTP API's `$default` route: every request no other route matches gets
//! 404 `Not found` in the one error shape.

use lambda_http::Request;
use shared::Error;
use shared::http::{self, HttpResponse};

pub async fn handle(_req: Request) -> HttpResponse {
    http::error_response(Error::NotFound("Not found"))
}
