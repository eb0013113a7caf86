//! Reconciliation: the provider stops retrying a webhook after some days, so what it
//! reported and was never processed is read back from its own record and applied through
//! the same code as the webhook.

use chrono::{DateTime, Utc};
use tracing::Instrument;

use super::gateway_events::{WebhookOutcome, handle_gateway_event};
use crate::entities::{GatewayEvent, GatewayEventKind};
use crate::error::Result;
use crate::ports::{GatewayEvents, Inbox, PaymentGateway, PaymentStore, Store};

/// How far back a reconciliation reads: longer than the provider retries a webhook
/// (Stripe: three days).
pub const RECONCILE_WINDOW: chrono::Duration = chrono::Duration::days(4);

/// What a reconciliation found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reconciliation {
    /// The provider's events read.
    pub read: usize,
    /// Those that changed a payment: what the webhook had missed.
    pub applied: usize,
    /// Those that failed (the next run tries them again).
    pub failed: usize,
}

/// Applies every event the provider recorded in the [`RECONCILE_WINDOW`] before `now`, each
/// through the webhook's own handling (processed once per event id, and each effect
/// repeatable), and logs each one that changed a payment. Running it again changes nothing.
pub async fn reconcile(
    store: &impl Store,
    gateway: &impl PaymentGateway,
    inbox: &impl Inbox,
    events: &impl GatewayEvents,
    now: DateTime<Utc>,
) -> Result<Reconciliation> {
    let mut found = Reconciliation::default();
    for event in events.since(now - RECONCILE_WINDOW).await? {
        found.read += 1;
        let before = version_of(store, &event).await?;
        let handled = handle_gateway_event(store, gateway, inbox, &event, now);
        let span = crate::story::of_item();
        match handled.instrument(span.clone()).await {
            // Seen before, or not about a payment of ours: nothing was done.
            Ok(WebhookOutcome::Duplicate | WebhookOutcome::Ignored) => continue,
            Ok(WebhookOutcome::Processed) => {}
            Err(error) => {
                let _in = span.enter();
                tracing::error!(error = ?error, event = %event.id, "reconciling an event failed");
                found.failed += 1;
                continue;
            }
        }
        if version_of(store, &event).await? != before {
            found.applied += 1;
            let _in = span.enter();
            tracing::warn!(event = %event.id, kind = ?event.kind, "reconciliation applied what the webhook had missed");
        }
    }
    tracing::info!(read = found.read, applied = found.applied, failed = found.failed, "reconciliation done");
    Ok(found)
}

/// The version of the payment `event` is about, if there is one.
async fn version_of(store: &impl PaymentStore, event: &GatewayEvent) -> Result<Option<u64>> {
    let intent = match &event.kind {
        GatewayEventKind::IntentSucceeded { intent, .. }
        | GatewayEventKind::IntentFailed { intent, .. }
        | GatewayEventKind::ChargeRefunded { intent, .. }
        | GatewayEventKind::RefundFailed { intent, .. }
        | GatewayEventKind::DisputeOpened { intent, .. }
        | GatewayEventKind::DisputeClosed { intent, .. } => intent,
        GatewayEventKind::Other { .. } => return Ok(None),
    };
    Ok(store.by_intent(intent).await?.map(|payment| payment.version))
}
