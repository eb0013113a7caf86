//! A buyer's problem with a complete order ("ticket not received"): reported before the
//! seller is paid, it holds the payout until an operator resolves it. Upheld, the operator
//! refunds the charge (the refund cancels the payout, as any refund before release does);
//! dismissed, [`resolve`] takes the hold off and the payout is released as scheduled.

use chrono::{DateTime, Utc};

use crate::change::{Change, Write};
use crate::entities::{HoldReason, Order, OrderStatus};
use crate::error::{Error, Result};
use crate::ids::{OrderId, UserId};
use crate::orders::get_own;
use crate::ports::{ChangeStore, OrderStore, PayoutStore};

/// The longest description of a problem, in characters.
pub const PROBLEM_MESSAGE_MAX: usize = 1000;

/// The order's buyer reports a problem with it, described by `message`: the order records
/// it and its payout is held, in one change. Only a complete order whose seller is not paid
/// yet can have one (the seller already paid: 409, and the buyer disputes with their bank);
/// reporting again while one is open changes nothing. Returns the order as it stands.
pub async fn report(
    store: &(impl OrderStore + PayoutStore + ChangeStore),
    buyer: &UserId,
    id: &str,
    message: String,
    now: DateTime<Utc>,
) -> Result<Order> {
    for _ in 0..3 {
        let order = get_own(store, buyer, id).await?;
        if order.has_open_problem() {
            return Ok(order);
        }
        if order.status != OrderStatus::Complete {
            return Err(Error::Conflict("Only a complete order can have a problem reported"));
        }
        let payout = store.payout(&order.id).await?;
        if payout.as_ref().is_some_and(|payout| !payout.is_before_release()) {
            return Err(Error::Conflict("The seller has already been paid: dispute the charge with your bank"));
        }
        let reported = order.report_problem(message.clone(), now);
        let mut change = Change { orders: vec![Write::Update(reported.clone())], ..Change::default() };
        change.update_payout(payout.as_ref(), |payout| payout.hold(HoldReason::Problem));
        match store.commit(&change).await {
            // A refund, a dispute or the release changed it meanwhile: look again.
            Err(Error::Conflict(_)) => continue,
            other => other?,
        }
        tracing::warn!(order = %order.id, "a buyer reported a problem: the payout is held until it is resolved");
        return Ok(reported);
    }
    Err(Error::Internal(anyhow::anyhow!("reporting a problem with order {id} kept conflicting")))
}

/// An operator resolves `order`'s open problem: the order records it and the problem's hold
/// comes off its payout, in one change (released at its time, or at once by the sweep if
/// that has passed). Returns whether there was an open problem.
pub async fn resolve(
    store: &(impl OrderStore + PayoutStore + ChangeStore),
    order: &OrderId,
    now: DateTime<Utc>,
) -> Result<bool> {
    for _ in 0..3 {
        let Some(found) = OrderStore::get(store, order).await? else { return Err(Error::NotFound("Order not found")) };
        if !found.has_open_problem() {
            return Ok(false);
        }
        let payout = store.payout(order).await?;
        let mut change = Change { orders: vec![Write::Update(found.resolve_problem(now))], ..Change::default() };
        change.update_payout(payout.as_ref(), |payout| payout.unhold(HoldReason::Problem));
        match store.commit(&change).await {
            Err(Error::Conflict(_)) => continue,
            other => other?,
        }
        return Ok(true);
    }
    Err(Error::Internal(anyhow::anyhow!("resolving the problem of order {order} kept conflicting")))
}
