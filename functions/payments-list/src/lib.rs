//! `GET /api/payments?orderId=` (signed in): the caller's payments for that order.

use lambda_http::Request;
use shared::auth::Sessions;
use shared::http::{self, HttpResponse};
use shared::ports::OrderStore;
use shared::{Error, FieldError, payments};

pub async fn handle(orders: &impl OrderStore, sessions: &Sessions, req: Request) -> HttpResponse {
    http::respond(list(orders, sessions, req).await)
}

async fn list(orders: &impl OrderStore, sessions: &Sessions, req: Request) -> shared::Result<HttpResponse> {
    let user = sessions.require_user(&req)?.user_id();
    let query = http::query_params(&req);
    let order_id = query
        .get("orderId")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| Error::Validation(vec![FieldError::new("orderId", "orderId is required")]))?;
    let found = payments::list(orders, &user, order_id).await?;
    let views: Vec<_> = found.iter().map(|payment| payment.view(false)).collect();
    http::json(200, &views)
}
