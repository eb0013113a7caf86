//! `POST /api/tickets` (signed in) `{title, price, date?, venue?}`: 201 the ticket, to be
//! paid out on the fee and hold in force now; 409 when the seller already has as many open
//! listings as a seller may (`MAX_OPEN_LISTINGS`, 200).

use aws_adapters::TicketWrites;
use chrono::Utc;
use domain::entities::PayoutTerms;
use domain::ports::{ChangeStore, TicketStore};
use domain::tickets::{self, ListingCap};
use edge::auth::SessionVerifier;
use edge::{Request, Response, Result, http, requests};

pub type Config = (SessionVerifier, TicketWrites, PayoutTerms, ListingCap);

pub async fn handle(
    store: &(impl TicketStore + ChangeStore),
    sessions: &SessionVerifier,
    (terms, cap): (PayoutTerms, ListingCap),
    req: Request,
) -> Result<Response> {
    let seller = sessions.require_user(&req)?;
    let now = Utc::now();
    let ticket = tickets::create(store, seller, requests::ticket_draft(&req, now)?, (terms, cap), now).await?;
    http::json(201, &ticket.view())
}
