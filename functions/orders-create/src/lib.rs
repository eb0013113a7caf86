//! `POST /api/orders` (signed in) `{ticketId}`: 201 the order as its page shows it (as
//! `GET /api/orders/{id}` answers), the ticket reserved until `expiresAt`; 409 when the
//! ticket is taken, or when the buyer already holds as many open reservations as allowed
//! (`MAX_OPEN_RESERVATIONS`, 3); 429 when the buyer let this ticket go less than
//! `REORDER_COOLDOWN_SECONDS` (300) ago.

use aws_adapters::OrderWrites;
use chrono::Utc;
use domain::entities::OrderPage;
use domain::orders::{self, ReorderCooldown, ReservationLimit, ReservationRules, ReservationTimeout};
use domain::ports::{ChangeStore, OrderStore, TicketStore};
use edge::auth::SessionVerifier;
use edge::{Request, Response, Result, http, requests};

pub type Config = (SessionVerifier, OrderWrites, ReservationTimeout, ReservationLimit, ReorderCooldown);

pub async fn handle(
    store: &(impl OrderStore + TicketStore + ChangeStore),
    sessions: &SessionVerifier,
    timeout: ReservationTimeout,
    rules: ReservationRules,
    req: Request,
) -> Result<Response> {
    let buyer = sessions.require_user(&req)?;
    let request = requests::order_request(&req)?;
    let now = Utc::now();
    let order = orders::place(store, buyer, &request.ticket_id, timeout.0, rules, now).await?;
    http::json(201, &OrderPage::new(order).view(now))
}
