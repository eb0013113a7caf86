//! `GET /api/notifications[?limit=&cursor=]` (signed in): the caller's notifications,
//! newest first.

use lambda_http::Request;
use shared::auth::Sessions;
use shared::http::{self, HttpResponse};
use shared::pagination::PageRequest;
use shared::ports::NotificationStore;

pub async fn handle(store: &impl NotificationStore, sessions: &Sessions, req: Request) -> HttpResponse {
    http::respond(list(store, sessions, req).await)
}

async fn list(store: &impl NotificationStore, sessions: &Sessions, req: Request) -> shared::Result<HttpResponse> {
    let user = sessions.require_user(&req)?.user_id();
    let page = PageRequest::from_query(&http::query_params(&req))?;
    let found = store.list(&user, &page).await?;
    http::page(&req, &page, &found.items, found.next.as_deref(), &[])
}
