//! `GET /api/notifications[?limit=&cursor=]` (signed in): the caller's notifications,
//! newest first.

use aws_adapters::NotificationsTable;
use domain::ports::NotificationStore;
use edge::auth::SessionVerifier;
use edge::{Request, Response, Result, http, pagination};

pub type Config = (SessionVerifier, NotificationsTable);

pub async fn handle(store: &impl NotificationStore, sessions: &SessionVerifier, req: Request) -> Result<Response> {
    let user = sessions.require_user(&req)?;
    let page = pagination::page_request(&http::query_params(&req))?;
    let found = store.list(&user, &page).await?;
    http::page(&req, &page, &found.items, found.next.as_deref(), &[])
}
