//! `PUT /api/tickets/{id}` (owner) `{title, price, date?, venue?}`: 200 the ticket, `version` + 1.

use chrono::Utc;
use lambda_http::Request;
use shared::auth::Sessions;
use shared::http::{self, HttpResponse, JsonFields};
use shared::ports::TicketStore;
use shared::tickets::{self, TicketDraft};

pub async fn handle(store: &impl TicketStore, sessions: &Sessions, req: Request) -> HttpResponse {
    http::respond(update(store, sessions, req).await)
}

async fn update(store: &impl TicketStore, sessions: &Sessions, req: Request) -> shared::Result<HttpResponse> {
    let user = sessions.require_user(&req)?.user_id();
    let mut body = JsonFields::from_body(req.body())?;
    let draft = TicketDraft::read(&mut body, Utc::now());
    let draft = body.finish(draft)?;
    let ticket = tickets::update(store, &user, &http::path_param(&req, "id"), draft).await?;
    http::json(200, &ticket.view())
}
