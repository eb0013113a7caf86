//! The HTTP API's `$default` route: every request no other route matches gets
//! 404 `Not found` in the one error shape.

use domain::Error;
use edge::{Request, Response, Result};

pub type Config = ();

pub async fn handle(_req: Request) -> Result<Response> {
    Err(Error::NotFound("Not found"))
}
