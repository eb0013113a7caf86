//! `DELETE /api/orders/{id}` (signed in): 204, the order cancelled and its ticket released.

use lambda_http::Request;
use shared::auth::Sessions;
use shared::http::{self, HttpResponse};
use shared::orders;
use shared::ports::{OrderStore, TicketStore};

pub async fn handle(
    orders: &impl OrderStore,
    tickets: &impl TicketStore,
    sessions: &Sessions,
    req: Request,
) -> HttpResponse {
    http::respond(cancel(orders, tickets, sessions, req).await)
}

async fn cancel(
    orders: &impl OrderStore,
    tickets: &impl TicketStore,
    sessions: &Sessions,
    req: Request,
) -> shared::Result<HttpResponse> {
    let user = sessions.require_user(&req)?.user_id();
    orders::cancel(orders, tickets, &user, &http::path_param(&req, "id")).await?;
    Ok(http::no_content())
}
