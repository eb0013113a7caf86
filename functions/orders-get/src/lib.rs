//! `GET /api/orders/{id}` (signed in): the caller's order; 403 for another user's.

use aws_adapters::OrdersTable;
use domain::orders;
use domain::ports::OrderStore;
use edge::auth::SessionVerifier;
use edge::{Request, Response, Result, http};

pub type Config = (SessionVerifier, OrdersTable);

pub async fn handle(store: &impl OrderStore, sessions: &SessionVerifier, req: Request) -> Result<Response> {
    let user = sessions.require_user(&req)?;
    let order = orders::get_own(store, &user, &http::path_param(&req, "id")?).await?;
    http::json(200, &order.view())
}
