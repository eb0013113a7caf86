//! `PUT /api/tickets/{id}` (owner) `{title, price, date?, venue?}`: 200 the ticket, `version` + 1.

use aws_adapters::TicketWrites;
use chrono::Utc;
use domain::ports::{ChangeStore, TicketStore};
use domain::tickets;
use edge::auth::SessionVerifier;
use edge::{Request, Response, Result, http, requests};

pub type Config = (SessionVerifier, TicketWrites);

pub async fn handle(
    store: &(impl TicketStore + ChangeStore),
    sessions: &SessionVerifier,
    req: Request,
) -> Result<Response> {
    let user = sessions.require_user(&req)?;
    let now = Utc::now();
    let draft = requests::ticket_draft(&req, now)?;
    let ticket = tickets::update(store, &user, &http::path_param(&req, "id")?, draft, now).await?;
    http::json(200, &ticket.view())
}
