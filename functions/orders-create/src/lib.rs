//! `POST /api/orders` (signed in) `{ticketId}`: 201 the order, the ticket reserved until
//! `expiresAt`.

use aws_adapters::OrderWrites;
use chrono::Utc;
use domain::orders::{self, ReservationTimeout};
use domain::ports::{ChangeStore, OrderStore, TicketStore};
use edge::auth::SessionVerifier;
use edge::body::{JsonFields, non_empty};
use edge::{Request, Response, Result, http};

pub type Config = (SessionVerifier, OrderWrites, ReservationTimeout);

pub async fn handle(
    store: &(impl OrderStore + TicketStore + ChangeStore),
    sessions: &SessionVerifier,
    timeout: ReservationTimeout,
    req: Request,
) -> Result<Response> {
    let buyer = sessions.require_user(&req)?;
    let mut body = JsonFields::from_body(req.body())?;
    let ticket_id = body.string("ticketId", |raw| non_empty(raw).map_err(|_| "ticketId must not be empty".to_owned()));
    let ticket_id = body.finish(ticket_id)?;
    let order = orders::place(store, buyer, &ticket_id, timeout.0, Utc::now()).await?;
    http::json(201, &order.view())
}
