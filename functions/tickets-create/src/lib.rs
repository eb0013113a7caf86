//! `POST /api/tickets` (signed in) `{title, price, date?, venue?}`: 201 the ticket.

use aws_adapters::TicketWrites;
use chrono::Utc;
use domain::ports::ChangeStore;
use domain::tickets;
use edge::auth::SessionVerifier;
use edge::{Request, Response, Result, body, http};

pub type Config = (SessionVerifier, TicketWrites);

pub async fn handle(store: &impl ChangeStore, sessions: &SessionVerifier, req: Request) -> Result<Response> {
    let seller = sessions.require_user(&req)?;
    let now = Utc::now();
    let ticket = tickets::create(store, seller, body::ticket_draft(&req, now)?, now).await?;
    http::json(201, &ticket.view())
}
