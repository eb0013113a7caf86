//! `POST /api/payments` (signed in) `{orderId, token?}`: with a token, charges it (201 paid,
//! 202 when 3-D Secure is needed, 402 declined); without, returns the order's PaymentIntent
//! for Stripe.js (201 with its `clientSecret`) or, once the browser confirmed it, records it
//! paid (201). Paid, the answer carries the complete order's page. A session ended by signing
//! out everywhere is refused at once (401).

use aws_adapters::{PaymentWrites, UsersTable};
use chrono::Utc;
use domain::entities::PaymentResultView;
use domain::payments::{self, Outcome};
use domain::ports::{PaymentGateway, Store, UserStore};
use edge::auth::SessionVerifier;
use edge::{Request, Response, Result, http, requests};
use stripe_adapter::StripeKey;

pub type Config = (SessionVerifier, UsersTable, PaymentWrites, StripeKey);

pub async fn handle(
    store: &impl Store,
    gateway: &impl PaymentGateway,
    users: &impl UserStore,
    sessions: &SessionVerifier,
    req: Request,
) -> Result<Response> {
    let user = sessions.require_live_session(&req, users).await?;
    let request = requests::payment_request(&req)?;
    let now = Utc::now();
    let outcome = payments::pay(store, gateway, &user, &request.order_id, request.token.as_deref(), now).await?;
    let (status, payment, with_secret, page) = match &outcome {
        Outcome::Started(payment) => (201, payment, true, None),
        Outcome::Succeeded(payment, page) => (201, payment, false, Some(page)),
        Outcome::Pending(payment) => (202, payment, true, None),
    };
    tracing::info!(payment = %payment.id, status = ?payment.status, "payment");
    http::json(
        status,
        &PaymentResultView { payment: payment.view(with_secret), order: page.map(|page| page.view(now)) },
    )
}
