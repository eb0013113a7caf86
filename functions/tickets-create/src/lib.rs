//! `POST /api/tickets` (signed in) `{title, price, date?, venue?}`: 201 the ticket.

use chrono::Utc;
use lambda_http::Request;
use shared::auth::Sessions;
use shared::http::{self, HttpResponse, JsonFields};
use shared::ports::TicketStore;
use shared::tickets::{self, TicketDraft};

pub async fn handle(store: &impl TicketStore, sessions: &Sessions, req: Request) -> HttpResponse {
    http::respond(create(store, sessions, req).await)
}

async fn create(store: &impl TicketStore, sessions: &Sessions, req: Request) -> shared::Result<HttpResponse> {
    let seller = sessions.require_user(&req)?.user_id();
    let mut body = JsonFields::from_body(req.body())?;
    let draft = TicketDraft::read(&mut body, Utc::now());
    let ticket = tickets::create(store, seller, body.finish(draft)?).await?;
    http::json(201, &ticket.view())
}
