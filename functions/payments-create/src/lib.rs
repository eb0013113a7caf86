//! `POST /api/payments` (signed in) `{orderId, token?}`: with a token, charges it (201 paid,
//! 202 when 3-D Secure is needed, 402 declined); without, returns the order's PaymentIntent
//! for Stripe.js (201 with its `clientSecret`).

use chrono::Utc;
use lambda_http::Request;
use shared::auth::Sessions;
use shared::http::{self, HttpResponse, JsonFields};
use shared::payments::{self, Outcome};
use shared::ports::{OrderStore, PaymentGateway, TicketStore};

pub async fn handle(
    orders: &impl OrderStore,
    tickets: &impl TicketStore,
    gateway: &impl PaymentGateway,
    sessions: &Sessions,
    req: Request,
) -> HttpResponse {
    http::respond(pay(orders, tickets, gateway, sessions, req).await)
}

fn non_empty(raw: &str) -> Result<String, String> {
    let value = raw.trim();
    if value.is_empty() { Err("must not be empty".to_owned()) } else { Ok(value.to_owned()) }
}

async fn pay(
    orders: &impl OrderStore,
    tickets: &impl TicketStore,
    gateway: &impl PaymentGateway,
    sessions: &Sessions,
    req: Request,
) -> shared::Result<HttpResponse> {
    let user = sessions.require_user(&req)?.user_id();
    let mut body = JsonFields::from_body(req.body())?;
    let order_id = body.string("orderId", non_empty);
    let token = body.optional_string("token", non_empty);
    let (order_id, token) = body.finish(order_id.zip(token))?;
    match payments::pay(orders, tickets, gateway, &user, &order_id, token.as_deref(), Utc::now()).await? {
        Outcome::Started(payment) => http::json(201, &payment.view(true)),
        Outcome::Succeeded(payment) => http::json(201, &payment.view(false)),
        Outcome::Pending(payment) => http::json(202, &payment.view(true)),
    }
}
