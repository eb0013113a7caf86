//! `GET /api/tickets/{id}`: 200 the ticket in any state; 404 for an unknown or malformed id.

use lambda_http::Request;
use shared::http::{self, HttpResponse};
use shared::ports::TicketStore;
use shared::tickets;

pub async fn handle(store: &impl TicketStore, req: Request) -> HttpResponse {
    http::respond(get(store, req).await)
}

async fn get(store: &impl TicketStore, req: Request) -> shared::Result<HttpResponse> {
    let ticket = tickets::get(store, &http::path_param(&req, "id")).await?;
    http::json(200, &ticket.view())
}
