//! The HTTP API's `$default` route: every request no other route matches. A path that
//! exists with other methods is 405 with `Allow`; anything else is 404 `Not found`; both in
//! the one error shape.

use domain::Error;
use edge::routes::methods_of;
use edge::{Request, Response, Result};

pub type Config = ();

pub async fn handle(req: Request) -> Result<Response> {
    let allowed = methods_of(req.uri().path());
    if allowed.is_empty() { Err(Error::NotFound("Not found")) } else { Err(Error::MethodNotAllowed { allowed }) }
}
