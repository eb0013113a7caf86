//! `DELETE /api/tickets/{id}` (owner): 204.

use aws_adapters::TicketWrites;
use chrono::Utc;
use domain::ports::{ChangeStore, TicketStore};
use domain::tickets;
use edge::auth::SessionVerifier;
use edge::{Request, Response, Result, http};

pub type Config = (SessionVerifier, TicketWrites);

pub async fn handle(
    store: &(impl TicketStore + ChangeStore),
    sessions: &SessionVerifier,
    req: Request,
) -> Result<Response> {
    let user = sessions.require_user(&req)?;
    tickets::delete(store, &user, &http::path_param(&req, "id")?, Utc::now()).await?;
    Ok(http::no_content())
}
