//! `GET /api/orders/{id}` (signed in): the caller's order, with the seconds its reservation
//! has left and its payments (what the order's page shows); 403 for another user's.

use aws_adapters::PaymentReads;
use chrono::Utc;
use domain::entities::OrderPageView;
use domain::payments;
use domain::ports::{OrderStore, PaymentStore};
use edge::auth::SessionVerifier;
use edge::{Request, Response, Result, http};

pub type Config = (SessionVerifier, PaymentReads);

pub async fn handle(
    store: &(impl OrderStore + PaymentStore),
    sessions: &SessionVerifier,
    req: Request,
) -> Result<Response> {
    let user = sessions.require_user(&req)?;
    let (order, payments) = payments::order_with_payments(store, &user, &http::path_param(&req, "id")?).await?;
    http::json(200, &OrderPageView::new(&order, &payments, Utc::now()))
}
