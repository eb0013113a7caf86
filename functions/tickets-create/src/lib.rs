//! `POST /api/tickets` (signed in) `{title, price, date?, venue?}`: 201 the ticket, to be
//! paid out on the fee and hold in force now.

use aws_adapters::TicketWrites;
use chrono::Utc;
use domain::entities::PayoutTerms;
use domain::ports::ChangeStore;
use domain::tickets;
use edge::auth::SessionVerifier;
use edge::{Request, Response, Result, body, http};

pub type Config = (SessionVerifier, TicketWrites, PayoutTerms);

pub async fn handle(
    store: &impl ChangeStore,
    sessions: &SessionVerifier,
    terms: PayoutTerms,
    req: Request,
) -> Result<Response> {
    let seller = sessions.require_user(&req)?;
    let now = Utc::now();
    let ticket = tickets::create(store, seller, body::ticket_draft(&req, now)?, terms, now).await?;
    http::json(201, &ticket.view())
}
