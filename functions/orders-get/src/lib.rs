//! `GET /api/orders/{id}` (signed in): the caller's order, with the seconds its reservation
//! has left, its payments and, once complete, its ticket's file (what the order's page
//! shows); 403 for another user's.

use aws_adapters::OrderPageReads;
use chrono::Utc;
use domain::payments;
use domain::ports::{OrderStore, PaymentStore, TicketStore};
use edge::auth::SessionVerifier;
use edge::{Request, Response, Result, http};

pub type Config = (SessionVerifier, OrderPageReads);

pub async fn handle(
    store: &(impl OrderStore + PaymentStore + TicketStore),
    sessions: &SessionVerifier,
    req: Request,
) -> Result<Response> {
    let user = sessions.require_user(&req)?;
    let page = payments::order_page(store, &user, &http::path_param(&req, "id")?).await?;
    http::json(200, &page.view(Utc::now()))
}
