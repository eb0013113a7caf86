//! `GET /api/orders[?limit=&cursor=]` (signed in): the caller's orders, newest first.

use lambda_http::Request;
use shared::auth::Sessions;
use shared::http::{self, HttpResponse};
use shared::orders;
use shared::pagination::PageRequest;
use shared::ports::OrderStore;

pub async fn handle(store: &impl OrderStore, sessions: &Sessions, req: Request) -> HttpResponse {
    http::respond(list(store, sessions, req).await)
}

async fn list(store: &impl OrderStore, sessions: &Sessions, req: Request) -> shared::Result<HttpResponse> {
    let buyer = sessions.require_user(&req)?.user_id();
    let page = PageRequest::from_query(&http::query_params(&req))?;
    let found = orders::list(store, &buyer, &page).await?;
    let views: Vec<_> = found.items.iter().map(|order| order.view()).collect();
    http::page(&req, &page, &views, found.next.as_deref(), &[])
}
