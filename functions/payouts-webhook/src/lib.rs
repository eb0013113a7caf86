//! `POST /api/payouts/webhook`: Stripe Connect's events about connected accounts and
//! transfers, signed with this endpoint's own secret. A body over 64 KiB is 413; a missing,
//! wrong or stale signature is 400 and changes nothing; an event is processed once; a
//! transient failure is a 500, so that Stripe retries.

use aws_adapters::{InboxTable, PayoutWrites};
use chrono::Utc;
use domain::payouts;
use domain::ports::{ChangeStore, Inbox, PayoutGateway, PayoutStore};
use edge::{Request, Response, Result, body, http};
use stripe_adapter::{ConnectWebhookSecret, StripeKey, webhook};

pub type Config = (PayoutWrites, InboxTable, StripeKey, ConnectWebhookSecret);

pub async fn handle(
    store: &(impl PayoutStore + ChangeStore),
    gateway: &impl PayoutGateway,
    inbox: &impl Inbox,
    secret: &ConnectWebhookSecret,
    req: Request,
) -> Result<Response> {
    body::require_json(&req)?;
    let now = Utc::now();
    let signature = req.headers().get("stripe-signature").and_then(|value| value.to_str().ok());
    let event = webhook::verify_account_event(req.body().as_ref(), signature, &secret.0, now.timestamp())?;
    let processed = payouts::handle_account_event(store, gateway, inbox, &event, now).await?;
    tracing::info!(event_id = %event.id, kind = ?event.kind, processed, "stripe connect event");
    http::json(200, &http::Received { received: true })
}
