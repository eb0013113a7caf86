//! `DELETE /api/orders/{id}` (signed in): 204, the order cancelled and its ticket released.

use aws_adapters::OrderWrites;
use chrono::Utc;
use domain::orders;
use domain::ports::{ChangeStore, OrderStore, TicketStore};
use edge::auth::SessionVerifier;
use edge::{Request, Response, Result, http};

pub type Config = (SessionVerifier, OrderWrites);

pub async fn handle(
    store: &(impl OrderStore + TicketStore + ChangeStore),
    sessions: &SessionVerifier,
    req: Request,
) -> Result<Response> {
    let user = sessions.require_user(&req)?;
    orders::cancel(store, &user, &http::path_param(&req, "id")?, Utc::now()).await?;
    Ok(http::no_content())
}
