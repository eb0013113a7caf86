//! `GET /api/orders/{id}` (signed in): the caller's order; 403 for another user's.

use lambda_http::Request;
use shared::auth::Sessions;
use shared::http::{self, HttpResponse};
use shared::orders;
use shared::ports::OrderStore;

pub async fn handle(store: &impl OrderStore, sessions: &Sessions, req: Request) -> HttpResponse {
    http::respond(get(store, sessions, req).await)
}

async fn get(store: &impl OrderStore, sessions: &Sessions, req: Request) -> shared::Result<HttpResponse> {
    let user = sessions.require_user(&req)?.user_id();
    let order = orders::get_own(store, &user, &http::path_param(&req, "id")).await?;
    http::json(200, &order.view())
}
