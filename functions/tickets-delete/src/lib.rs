//! `DELETE /api/tickets/{id}` (owner): 204.

use lambda_http::Request;
use shared::auth::Sessions;
use shared::http::{self, HttpResponse};
use shared::ports::TicketStore;
use shared::tickets;

pub async fn handle(store: &impl TicketStore, sessions: &Sessions, req: Request) -> HttpResponse {
    http::respond(delete(store, sessions, req).await)
}

async fn delete(store: &impl TicketStore, sessions: &Sessions, req: Request) -> shared::Result<HttpResponse> {
    let user = sessions.require_user(&req)?.user_id();
    tickets::delete(store, &user, &http::path_param(&req, "id")).await?;
    Ok(http::no_content())
}
