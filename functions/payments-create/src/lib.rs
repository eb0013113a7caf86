//! `POST /api/payments` (signed in) `{orderId, token?}`: with a token, charges it (201 paid,
//! 202 when 3-D Secure is needed, 402 declined); without, returns the order's PaymentIntent
//! for Stripe.js (201 with its `clientSecret`). A session ended by signing out everywhere is
//! refused at once (401).

use aws_adapters::{PaymentWrites, UsersTable};
use chrono::Utc;
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
    let (status, payment, with_secret) =
        match payments::pay(store, gateway, &user, &request.order_id, request.token.as_deref(), Utc::now()).await? {
            Outcome::Started(payment) => (201, payment, true),
            Outcome::Succeeded(payment) => (201, payment, false),
            Outcome::Pending(payment) => (202, payment, true),
        };
    tracing::info!(payment = %payment.id, status = ?payment.status, "payment");
    http::json(status, &payment.view(with_secret))
}
