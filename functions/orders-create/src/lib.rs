//! `POST /api/orders` (signed in) `{ticketId}`: 201 the order, the ticket reserved until
//! `expiresAt`; 409 when the ticket is taken, or when the buyer already holds as many open
//! reservations as allowed (`MAX_OPEN_RESERVATIONS`, 3).

use aws_adapters::OrderWrites;
use chrono::Utc;
use domain::orders::{self, ReservationLimit, ReservationTimeout};
use domain::ports::{ChangeStore, OrderStore, TicketStore};
use edge::auth::SessionVerifier;
use edge::{Request, Response, Result, body, http};

pub type Config = (SessionVerifier, OrderWrites, ReservationTimeout, ReservationLimit);

pub async fn handle(
    store: &(impl OrderStore + TicketStore + ChangeStore),
    sessions: &SessionVerifier,
    timeout: ReservationTimeout,
    limit: ReservationLimit,
    req: Request,
) -> Result<Response> {
    let buyer = sessions.require_user(&req)?;
    let request = body::order_request(&req)?;
    let order = orders::place(store, buyer, &request.ticket_id, timeout.0, limit, Utc::now()).await?;
    http::json(201, &order.view())
}
