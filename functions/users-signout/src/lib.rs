//! `POST /api/users/signout`: 200 `{}` and the session cookie cleared. It takes a JSON object
//! (`{}`), as every other write does: a cross-site form cannot sign a person out.

use edge::body::JsonFields;
use edge::{Request, Response, Result, http};

pub type Config = ();

pub async fn handle(req: Request) -> Result<Response> {
    JsonFields::from_request(&req)?;
    http::with_cookie(http::json(200, &http::Empty {})?, &edge::auth::cleared_cookie())
}
