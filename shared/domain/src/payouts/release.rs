//! Releasing payouts: at its release time a payout is transferred to its seller's payout
//! account, claim first (the payout `releasing`, the account and amount decided, in one
//! conditional write) and only then the provider asked, with the order's idempotency key. A
//! seller without an account able to receive payouts is `held` until they connect one. A
//! refund after release is taken back the same way: claimed (`reversing`), then reversed.

use chrono::{DateTime, Utc};
use tracing::Instrument;

use crate::change::{Change, Write};
use crate::entities::{HoldReason, Payout, PayoutStatus, TransferRequest, reversal_key};
use crate::error::{Error, Result};
use crate::events::{Event, EventType};
use crate::ids::{OrderId, TicketId, UserId};
use crate::money::Money;
use crate::payments::IDEMPOTENCY_KEY_HOURS;
use crate::ports::{ChangeStore, PayoutGateway, PayoutStore};

/// Does the work due on `order`'s payout at `now`: releases it if its time has come (or
/// holds it for want of an account), finishes a claimed transfer or reversal. Returns the
/// payout as it then stands (`None`: the order has none). A conflict with a concurrent
/// change (a refund, another release) reads the payout again; a claim is finished, never
/// decided again.
pub async fn release(
    store: &(impl PayoutStore + ChangeStore),
    gateway: &impl PayoutGateway,
    order: &OrderId,
    now: DateTime<Utc>,
) -> Result<Option<Payout>> {
    for _ in 0..3 {
        let Some(payout) = store.payout(order).await? else { return Ok(None) };
        match step(store, gateway, payout, now).await {
            Err(Error::Conflict(_)) => continue,
            other => return other.map(Some),
        }
    }
    Err(Error::Internal(anyhow::anyhow!("releasing the payout of {order} kept conflicting")))
}

async fn step(
    store: &(impl PayoutStore + ChangeStore),
    gateway: &impl PayoutGateway,
    payout: Payout,
    now: DateTime<Utc>,
) -> Result<Payout> {
    match payout.status {
        PayoutStatus::Scheduled if payout.release_at <= now => {
            let account = store.account(&payout.seller).await?.filter(|account| account.payouts_enabled);
            let Some(account) = account else {
                let held = payout.hold(HoldReason::NoAccount);
                save(store, &held).await?;
                // The seller may have onboarded since their account was read, and onboarding
                // looked for held payouts before this hold was written: read it again now.
                if store.account(&payout.seller).await?.is_some_and(|account| account.payouts_enabled) {
                    let unheld = held.unhold(HoldReason::NoAccount);
                    save(store, &unheld).await?;
                    return Box::pin(step(store, gateway, unheld, now)).await;
                }
                tracing::info!(order = %payout.order_id, seller = %payout.seller, "a payout is held until its seller connects a payout account");
                return Ok(held);
            };
            let claimed = payout.claim_transfer(&account.account_id, now);
            save(store, &claimed).await?;
            finish_transfer(store, gateway, &claimed, now).await
        }
        PayoutStatus::Releasing => finish_transfer(store, gateway, &payout, now).await,
        PayoutStatus::Reversing => finish_reversal(store, gateway, &payout, now).await,
        _ => Ok(payout),
    }
}

/// The data of `payout.paid`.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct PaidData<'a> {
    order_id: &'a OrderId,
    user_id: &'a UserId,
    ticket_id: &'a TicketId,
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    amount: Money,
    currency: &'a str,
    version: u64,
}

impl<'a> PaidData<'a> {
    fn of(payout: &'a Payout) -> Self {
        Self {
            order_id: &payout.order_id,
            user_id: &payout.seller,
            ticket_id: &payout.ticket_id,
            amount: payout.transferred,
            currency: &payout.currency,
            version: payout.version,
        }
    }
}

async fn save(store: &impl ChangeStore, payout: &Payout) -> Result<()> {
    store.commit(&Change { payouts: vec![Write::Update(payout.clone())], ..Change::default() }).await
}

/// Whether the provider may have forgotten the idempotency key of what was claimed.
fn key_expired(payout: &Payout, now: DateTime<Utc>) -> bool {
    payout.claimed_at.is_none_or(|at| now - at >= chrono::Duration::hours(IDEMPOTENCY_KEY_HOURS))
}

/// Carries out a claimed (`releasing`) transfer under the order's key, then records it paid.
async fn finish_transfer(
    store: &(impl PayoutStore + ChangeStore),
    gateway: &impl PayoutGateway,
    claimed: &Payout,
    now: DateTime<Utc>,
) -> Result<Payout> {
    let account = claimed
        .account
        .as_deref()
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("a claimed transfer of {} has no account", claimed.order_id)))?;
    let known = if key_expired(claimed, now) { gateway.transfer_of(claimed.order_id.as_str()).await? } else { None };
    let transfer_id = match known {
        Some(transfer_id) => transfer_id,
        None => {
            let request = TransferRequest {
                order: claimed.order_id.as_str(),
                account,
                amount: claimed.transferred,
                currency: &claimed.currency,
                source: &claimed.intent,
            };
            gateway.transfer(&request).await?
        }
    };
    let paid = claimed.paid(transfer_id, now);
    // Recorded once (the write is conditional on the claim's version), with the event that
    // tells the seller.
    let told = Event::new(EventType::PayoutPaid, paid.version, &PaidData::of(&paid), now)?;
    store
        .commit(&Change { payouts: vec![Write::Update(paid.clone())], events: vec![told], ..Change::default() })
        .await?;
    tracing::info!(order = %claimed.order_id, seller = %claimed.seller, net = %claimed.transferred, "a payout was transferred");
    if paid.status == PayoutStatus::Reversing {
        return finish_reversal(store, gateway, &paid, now).await;
    }
    Ok(paid)
}

/// Carries out a claimed (`reversing`) reversal under its key, then records what it took
/// back; what the seller's account could not cover is logged as the platform's loss.
async fn finish_reversal(
    store: &(impl PayoutStore + ChangeStore),
    gateway: &impl PayoutGateway,
    claimed: &Payout,
    now: DateTime<Utc>,
) -> Result<Payout> {
    let transfer = claimed.transfer_id.as_deref().ok_or_else(|| {
        Error::Internal(anyhow::anyhow!("a claimed reversal of {} has no transfer", claimed.order_id))
    })?;
    let known = if key_expired(claimed, now) {
        gateway.reversals_of(transfer).await?.into_iter().nth(claimed.reversals as usize)
    } else {
        None
    };
    let reversal = match known {
        Some(reversal) => reversal,
        None => {
            let key = reversal_key(claimed.order_id.as_str(), claimed.reversals);
            gateway.reverse(transfer, claimed.reversal_due, &key).await?
        }
    };
    let reversed = claimed.reversed_by(&reversal, now);
    save(store, &reversed).await?;
    if reversal.amount < claimed.reversal_due {
        tracing::error!(
            order = %claimed.order_id, seller = %claimed.seller, due = %claimed.reversal_due, reversed = %reversal.amount,
            "a reversal could not be covered by the seller's account: the rest is the platform's loss"
        );
    }
    if reversed.status == PayoutStatus::Reversing {
        return Box::pin(finish_reversal(store, gateway, &reversed, now)).await;
    }
    Ok(reversed)
}

/// How many payouts one sweep looks at.
pub const SWEEP_LIMIT: usize = 100;

/// Does the work due at `now` that no schedule did: releases whose time has come, claims not
/// finished. One payout failing does not stop the others. Returns how many it released or
/// finished, and how many failed.
pub async fn sweep(
    store: &(impl PayoutStore + ChangeStore),
    gateway: &impl PayoutGateway,
    now: DateTime<Utc>,
) -> Result<Swept> {
    let mut swept = Swept::default();
    for payout in store.due(now, SWEEP_LIMIT).await? {
        match release(store, gateway, &payout.order_id, now).instrument(crate::story::of(&payout.order_id)).await {
            Ok(_) => swept.done += 1,
            Err(error) => {
                swept.failed += 1;
                tracing::error!(order = %payout.order_id, error = format!("{error:#}"), "releasing a payout failed");
            }
        }
    }
    Ok(swept)
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub done: usize,
    pub failed: usize,
}
