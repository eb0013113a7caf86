//! `GET /api/expiration/{orderId}` (signed in): the state of the caller's reservation,
//! `{orderId, status, expiresAt, secondsRemaining}`.

use aws_adapters::OrdersTable;
use chrono::Utc;
use domain::orders;
use domain::ports::OrderStore;
use edge::auth::SessionVerifier;
use edge::{Request, Response, Result, http};

pub type Config = (SessionVerifier, OrdersTable);

pub async fn handle(store: &impl OrderStore, sessions: &SessionVerifier, req: Request) -> Result<Response> {
    let user = sessions.require_user(&req)?;
    let order = orders::get_own(store, &user, &http::path_param(&req, "orderId")?).await?;
    http::json(200, &order.reservation(Utc::now()))
}
