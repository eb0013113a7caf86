//! `GET /api/tickets/{id}`: 200 the ticket in any state; 404 for an unknown or malformed id.

use aws_adapters::TicketsTable;
use chrono::Utc;
use domain::ports::TicketStore;
use domain::tickets;
use edge::{Request, Response, Result, http};

pub type Config = TicketsTable;

pub async fn handle(store: &impl TicketStore, req: Request) -> Result<Response> {
    let ticket = tickets::show(store, &http::path_param(&req, "id")?, Utc::now()).await?;
    http::json(200, &ticket.view())
}
