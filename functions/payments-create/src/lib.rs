//! `POST /api/payments` (signed in) `{orderId, token?}`: with a token, charges it (201 paid,
//! 202 when 3-D Secure is needed, 402 declined); without, returns the order's PaymentIntent
//! for Stripe.js (201 with its `clientSecret`).

use aws_adapters::PaymentWrites;
use chrono::Utc;
use domain::payments::{self, Outcome};
use domain::ports::{PaymentGateway, Store};
use edge::auth::SessionVerifier;
use edge::body::{JsonFields, id, non_empty};
use edge::{Request, Response, Result, http};
use stripe_adapter::StripeKey;

pub type Config = (SessionVerifier, PaymentWrites, StripeKey);

pub async fn handle(
    store: &impl Store,
    gateway: &impl PaymentGateway,
    sessions: &SessionVerifier,
    req: Request,
) -> Result<Response> {
    let user = sessions.require_user(&req)?;
    let mut body = JsonFields::from_request(&req)?;
    let order_id = body.string("orderId", |raw| id(raw).map_err(|reason| format!("orderId {reason}")));
    let token = body.optional_string("token", |raw| match non_empty(raw) {
        Ok(token) if token.len() > 255 => Err("token is too long".to_owned()),
        outcome => outcome,
    });
    let (order_id, token) = body.finish(order_id.zip(token))?;
    match payments::pay(store, gateway, &user, &order_id, token.as_deref(), Utc::now()).await? {
        Outcome::Started(payment) => http::json(201, &payment.view(true)),
        Outcome::Succeeded(payment) => http::json(201, &payment.view(false)),
        Outcome::Pending(payment) => http::json(202, &payment.view(true)),
    }
}
