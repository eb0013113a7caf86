//! `POST /api/orders` (signed in) `{ticketId}`: 201 the order, the ticket reserved until
//! `expiresAt`.

use std::time::Duration;

use chrono::Utc;
use lambda_http::Request;
use shared::auth::Sessions;
use shared::http::{self, HttpResponse, JsonFields};
use shared::orders;
use shared::ports::{OrderStore, TicketStore};

pub async fn handle(
    orders: &impl OrderStore,
    tickets: &impl TicketStore,
    sessions: &Sessions,
    timeout: Duration,
    req: Request,
) -> HttpResponse {
    http::respond(create(orders, tickets, sessions, timeout, req).await)
}

async fn create(
    orders: &impl OrderStore,
    tickets: &impl TicketStore,
    sessions: &Sessions,
    timeout: Duration,
    req: Request,
) -> shared::Result<HttpResponse> {
    let buyer = sessions.require_user(&req)?.user_id();
    let mut body = JsonFields::from_body(req.body())?;
    let ticket_id = body.string("ticketId", |raw| {
        if raw.trim().is_empty() { Err("ticketId must not be empty".to_owned()) } else { Ok(raw.trim().to_owned()) }
    });
    let ticket_id = body.finish(ticket_id)?;
    let order = orders::place(orders, tickets, buyer, &ticket_id, timeout, Utc::now()).await?;
    http::json(201, &order.view())
}
