//! `POST /api/users/signout`: 200 `{}` and the session cookie cleared.

use edge::{Request, Response, Result, http};

pub type Config = ();

pub async fn handle(_req: Request) -> Result<Response> {
    http::with_cookie(http::json(200, &http::Empty {})?, &edge::auth::cleared_cookie())
}
