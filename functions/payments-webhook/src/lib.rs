//! `POST /api/payments/webhook`: Stripe's events, signed with the endpoint secret. A body over
//! 64 KiB is 413; a missing, wrong or stale signature is 400 and changes nothing; an event is
//! processed once; a transient failure is a 500, so that Stripe retries.

use aws_adapters::{InboxTable, PaymentWrites};
use chrono::Utc;
use domain::payments;
use domain::ports::{Inbox, PaymentGateway, Store};
use edge::{Request, Response, Result, body, http};
use stripe_adapter::{StripeKey, WebhookSecret, webhook};

pub type Config = (PaymentWrites, InboxTable, StripeKey, WebhookSecret);

pub async fn handle(
    store: &impl Store,
    gateway: &impl PaymentGateway,
    inbox: &impl Inbox,
    secret: &WebhookSecret,
    req: Request,
) -> Result<Response> {
    body::require_json(&req)?;
    let now = Utc::now();
    let signature = req.headers().get("stripe-signature").and_then(|value| value.to_str().ok());
    let event = webhook::verify(req.body().as_ref(), signature, &secret.0, now.timestamp())?;
    let outcome = payments::handle_gateway_event(store, gateway, inbox, &event, now).await?;
    tracing::info!(event_id = %event.id, kind = ?event.kind, outcome = ?outcome, "stripe event");
    http::json(200, &http::Received { received: true })
}
