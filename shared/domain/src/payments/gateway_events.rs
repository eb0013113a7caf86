//! What the payment provider tells us (Stripe's webhook, verified and translated by its
//! adapter), and what each of those events does here.

use chrono::{DateTime, Utc};

use super::settle::{record_dispute, record_failure, record_refund, settle};
use crate::entities::{Charge, DisputeStatus, GatewayEvent, GatewayEventKind, Payment};
use crate::error::Result;
use crate::ids::OrderId;
use crate::inbox;
use crate::ports::{Inbox, PaymentGateway, Store};

/// What the webhook did with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookOutcome {
    Processed,
    /// Seen before (the provider redelivers): nothing done.
    Duplicate,
    /// A type, or an intent, this service does not handle: acknowledged only.
    Ignored,
}

/// The inbox consumer name under which provider event ids are recorded.
pub const WEBHOOK_CONSUMER: &str = "stripe-webhook";

/// Handles a provider event once: a succeeded intent settles its order, a failed attempt is
/// recorded, a refund is recorded. An error leaves the event unrecorded, so the provider's
/// retry runs it again.
pub async fn handle_gateway_event(
    store: &impl Store,
    gateway: &impl PaymentGateway,
    inbox: &impl Inbox,
    event: &GatewayEvent,
    now: DateTime<Utc>,
) -> Result<WebhookOutcome> {
    let outcome =
        inbox::once(inbox, WEBHOOK_CONSUMER, &event.id, now, || apply(store, gateway, &event.kind, now)).await?;
    Ok(outcome.unwrap_or(WebhookOutcome::Duplicate))
}

async fn apply(
    store: &impl Store,
    gateway: &impl PaymentGateway,
    kind: &GatewayEventKind,
    now: DateTime<Utc>,
) -> Result<WebhookOutcome> {
    match kind {
        GatewayEventKind::IntentSucceeded { order, intent, amount, currency, livemode, at } => {
            let Some(payment) = ours(store, order, intent).await? else { return Ok(WebhookOutcome::Ignored) };
            let charge = Charge { amount: *amount, currency, livemode: *livemode };
            settle(store, gateway, &payment, charge, *at, now).await?;
        }
        GatewayEventKind::IntentFailed { order, intent, message } => {
            let Some(payment) = ours(store, order, intent).await? else { return Ok(WebhookOutcome::Ignored) };
            record_failure(store, payment, message.clone(), now).await?;
        }
        GatewayEventKind::ChargeRefunded { intent, refund, amount_refunded, full } => {
            record_refund(store, intent, refund.clone(), *amount_refunded, *full, now).await?
        }
        GatewayEventKind::RefundFailed { intent, refund } => {
            // Nothing here can give the money back: the record stands as refunded, and the
            // failure is an error for the operator's alarm.
            tracing::error!(intent, refund, "a refund failed at the provider: the buyer must be paid back by hand");
        }
        GatewayEventKind::DisputeOpened { intent, dispute } => {
            record_dispute(store, intent, dispute, DisputeStatus::Open, now).await?
        }
        GatewayEventKind::DisputeClosed { intent, dispute, won } => {
            let status = if *won { DisputeStatus::Won } else { DisputeStatus::Lost };
            record_dispute(store, intent, dispute, status, now).await?
        }
        GatewayEventKind::Other { .. } => return Ok(WebhookOutcome::Ignored),
    }
    Ok(WebhookOutcome::Processed)
}

/// The payment of `order` if it is for `intent`: only intents this service created name
/// one of its orders, with a payment for them.
async fn ours(store: &impl Store, order: &OrderId, intent: &str) -> Result<Option<Payment>> {
    crate::story::about(order);
    let payment = store.for_order(order).await?.filter(|payment| payment.stripe_id == intent);
    if payment.is_none() {
        tracing::warn!(%order, intent, "event for an intent this service has no payment for");
    }
    Ok(payment)
}
