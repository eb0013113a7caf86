//! `GET /api/payments?orderId=` (signed in): the caller's payments for that order.

use aws_adapters::PaymentReads;
use domain::payments;
use domain::ports::{OrderStore, PaymentStore};
use domain::{Error, FieldError};
use edge::auth::SessionVerifier;
use edge::{Request, Response, Result, http};

pub type Config = (SessionVerifier, PaymentReads);

pub async fn handle(
    store: &(impl OrderStore + PaymentStore),
    sessions: &SessionVerifier,
    req: Request,
) -> Result<Response> {
    let user = sessions.require_user(&req)?;
    let query = http::query_params(&req);
    let order_id = http::id_param(&query, "orderId")?
        .ok_or_else(|| Error::Validation(vec![FieldError::new("orderId", "orderId is required")]))?;
    let found = payments::list(store, &user, &order_id).await?;
    let views: Vec<_> = found.iter().map(|payment| payment.view(false)).collect();
    http::json(200, &views)
}
