//! `GET /api/orders[?limit=&cursor=]` (signed in): the caller's orders, newest first.

use aws_adapters::OrdersTable;
use domain::orders;
use domain::ports::OrderStore;
use edge::auth::SessionVerifier;
use edge::{Request, Response, Result, http, pagination};

pub type Config = (SessionVerifier, OrdersTable);

pub async fn handle(store: &impl OrderStore, sessions: &SessionVerifier, req: Request) -> Result<Response> {
    let buyer = sessions.require_user(&req)?;
    let page = pagination::page_request(&http::query_params(&req))?;
    let found = orders::list(store, &buyer, &page).await?;
    let views: Vec<_> = found.items.iter().map(|order| order.view()).collect();
    http::page(&req, &page, &views, found.next.as_deref(), &[])
}
