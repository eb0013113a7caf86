//! Cancelling the intent of an order that died unpaid, so that its client secret can no
//! longer be paid (a payment then would only be charged and refunded, its fee lost).

use chrono::{DateTime, Utc};

use super::settle::settle;
use crate::change::{Change, Write};
use crate::entities::{IntentStatus, Payment, PaymentStatus};
use crate::error::{Error, Result};
use crate::ids::OrderId;
use crate::ports::{PaymentGateway, Store};

/// The order `order_id` was cancelled (by its buyer, or as it lapsed): its payment, if it
/// is still payable, is cancelled at the gateway. Claim first: the payment `canceling`, at
/// the version read, before the gateway is asked; a claim is finished by the retry, never
/// decided again. A payment that came first is settled (refunded, or completing a lapsed
/// order that may still complete). Repeating it changes nothing.
pub async fn cancel_unpaid(
    store: &impl Store,
    gateway: &impl PaymentGateway,
    order_id: &OrderId,
    now: DateTime<Utc>,
) -> Result<()> {
    for _ in 0..3 {
        let Some(payment) = store.for_order(order_id).await? else { return Ok(()) };
        let claimed = match payment.status {
            status if status.is_pending() => {
                let claimed = payment.claim_cancel();
                match store
                    .commit(&Change { payments: vec![Write::Update(claimed.clone())], ..Change::default() })
                    .await
                {
                    Ok(()) => claimed,
                    Err(Error::Conflict(_)) => continue,
                    Err(other) => return Err(other),
                }
            }
            PaymentStatus::Canceling => payment,
            // Paid, refunded or cancelled already: nothing is payable.
            _ => return Ok(()),
        };
        return finish_cancel(store, gateway, &claimed, now).await;
    }
    Err(Error::Internal(anyhow::anyhow!("cancelling the payment of {order_id} kept conflicting")))
}

/// Carries out a claimed (`canceling`) cancellation.
async fn finish_cancel(
    store: &impl Store,
    gateway: &impl PaymentGateway,
    claimed: &Payment,
    now: DateTime<Utc>,
) -> Result<()> {
    let intent = gateway.cancel_intent(&claimed.stripe_id).await?;
    match intent.status {
        IntentStatus::Canceled => {
            let canceled = claimed.canceled();
            match store.commit(&Change { payments: vec![Write::Update(canceled)], ..Change::default() }).await {
                Err(Error::Conflict(_)) => match store.for_order(&claimed.order_id).await? {
                    // A concurrent retry recorded it first.
                    Some(payment) if payment.status == PaymentStatus::Canceled => Ok(()),
                    other => Err(Error::Internal(anyhow::anyhow!(
                        "cancellation of {} recorded as {other:?}",
                        claimed.stripe_id
                    ))),
                },
                other => other,
            }
        }
        // The payment raced the cancellation and won: settled as any payment for a dead order
        // (when it was made is not known here: now, so a lapsed order is not revived by it).
        IntentStatus::Succeeded => {
            let paid_at = intent.succeeded_at.unwrap_or(now);
            settle(store, gateway, claimed, intent.charge(), paid_at, now).await.map(|_| ())
        }
        // The bank is still deciding: its outcome comes by webhook and is settled then.
        IntentStatus::Processing => {
            tracing::warn!(intent = %claimed.stripe_id, "an intent to cancel is processing; its outcome will settle it");
            Ok(())
        }
        other => Err(Error::Internal(anyhow::anyhow!("cancelling {} left it {other:?}", claimed.stripe_id))),
    }
}
