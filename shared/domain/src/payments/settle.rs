//! Settling a payment: a succeeded intent completes its order or is refunded; failures and
//! refunds the provider reports are recorded.

use chrono::{DateTime, Utc};

use crate::change::{Change, Write};
use crate::entities::{
    CancelReason, Charge, DisputeStatus, HoldReason, Order, OrderStatus, Payment, PaymentStatus, Payout, Ticket,
    TicketStatus,
};
use crate::error::{Error, Result};
use crate::events::EventType;
use crate::ids::OrderId;
use crate::money::Money;
use crate::ports::{ChangeStore, OrderStore, PaymentGateway, PaymentStore, PayoutStore, Store, TicketStore};

/// Whether a payment made at `paid_at` may complete `order`, whose ticket is now `ticket`:
/// it was made before the reservation lapsed, the ticket is still the order's or free again
/// (a lapsed order whose ticket nobody took meanwhile is revived), and still at the terms
/// it was ordered at (a seller may edit a ticket whose reservation lapsed).
pub fn may_complete(order: &Order, ticket: &Ticket, paid_at: DateTime<Utc>) -> bool {
    let in_time = paid_at < order.expires_at;
    let same_terms = ticket.terms == order.ticket.terms;
    let held = ticket.is_held_by(&order.id);
    let free = ticket.status == TicketStatus::Available;
    let order_alive = order.is_open() || (order.cancel_reason == Some(CancelReason::Expired) && free);
    in_time && same_terms && order_alive && (held || free)
}

/// `payment`'s PaymentIntent succeeded at `succeeded_at`, charging `charge`. Completes its
/// order (order `complete`, ticket `sold`) if the charge is the payment's (amount, currency,
/// mode) and [`may_complete`]; a charge that is not the payment's is refunded and its order
/// left as it was; otherwise it is refunded with its order ended, claim first: the
/// decision commits at the versions read (the order cancelled, its ticket released, the
/// payment `refunding`) before the gateway is asked, so a read that a concurrent completion
/// made stale conflicts instead of refunding a sale. A claimed refund is finished, never
/// decided again. Repeating it changes nothing. `payment` is as the caller read it; it is
/// read again only when a concurrent change (an expiry, a second delivery) made a commit fail.
pub async fn settle(
    store: &impl Store,
    gateway: &impl PaymentGateway,
    payment: &Payment,
    charge: Charge<'_>,
    succeeded_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Payment> {
    let mut payment = payment.clone();
    for attempt in 0..3 {
        if attempt > 0 {
            payment = payment_of(store, &payment.order_id, &payment.stripe_id).await?;
        }
        if payment.status == PaymentStatus::Refunding {
            return finish_refund(store, gateway, &payment, now).await;
        }
        if payment.status.is_settled() {
            return Ok(payment);
        }
        let outcome = if payment.is_charged_by(charge) {
            let order = crate::ports::OrderStore::get(store, &payment.order_id)
                .await?
                .ok_or_else(|| Error::Internal(anyhow::anyhow!("payment without order")))?;
            let ticket = crate::ports::TicketStore::get(store, &order.ticket.id).await?;
            match ticket {
                Some(ticket) if may_complete(&order, &ticket, succeeded_at) => {
                    complete(store, &order, &ticket, &payment, now).await
                }
                ticket => {
                    async {
                        let claimed = claim_refund(store, &order, ticket.as_ref(), &payment, now).await?;
                        finish_refund(store, gateway, &claimed, now).await
                    }
                    .await
                }
            }
        } else {
            tracing::error!(
                order = %payment.order_id, intent = %payment.stripe_id, charged = %charge.amount,
                currency = charge.currency, livemode = charge.livemode, expected = %payment.amount,
                expected_currency = %payment.currency, expected_livemode = payment.livemode,
                "a succeeded intent does not match its payment: it is refunded and its order left as it was"
            );
            async {
                let claimed = payment.claim_mismatch_refund(now);
                store.commit(&Change { payments: vec![Write::Update(claimed.clone())], ..Change::default() }).await?;
                finish_refund(store, gateway, &claimed, now).await
            }
            .await
        };
        match outcome {
            Err(Error::Conflict(_)) => continue,
            other => return other,
        }
    }
    Err(Error::Internal(anyhow::anyhow!("settling {} kept conflicting", payment.stripe_id)))
}

/// The payment of `order_id`, which must be for `intent_id`.
async fn payment_of(store: &impl PaymentStore, order_id: &OrderId, intent_id: &str) -> Result<Payment> {
    match store.for_order(order_id).await? {
        Some(payment) if payment.stripe_id == intent_id => Ok(payment),
        _ => Err(Error::Internal(anyhow::anyhow!("no payment of order {order_id} for intent {intent_id}"))),
    }
}

async fn complete(
    store: &impl ChangeStore,
    order: &Order,
    ticket: &Ticket,
    payment: &Payment,
    now: DateTime<Utc>,
) -> Result<Payment> {
    // A dispute reported before the success's news: the sale is made, and on hold.
    let paid = if payment.is_disputed() { order.complete_disputed() } else { order.complete() };
    let sold = ticket.sell_to(&order.id);
    let succeeded = payment.succeed();
    let mut payout = Payout::for_sale(order, ticket, &payment.stripe_id, now);
    if payment.is_disputed() {
        // Held for the dispute too (beside the ticket's file, when it has none): a new payout.
        payout = Payout { version: 0, ..payout.hold(HoldReason::Dispute) };
    }
    let mut events = vec![
        succeeded.event(EventType::PaymentSucceeded, now)?,
        paid.event(EventType::OrderCompleted, now)?,
        sold.event(EventType::TicketUpdated, now)?,
    ];
    if sold.is_delivered() {
        events.push(crate::files::delivered(&sold, &paid, now)?);
    }
    let change = Change {
        payouts: vec![Write::Insert(payout)],
        events,
        orders: vec![Write::Update(paid)],
        tickets: vec![Write::Update(sold)],
        payments: vec![Write::Update(succeeded.clone())],
        ..Change::default()
    };
    store.commit(&change).await?;
    Ok(succeeded)
}

/// Decides to give the money back for an order that cannot be completed, and claims it:
/// the payment `refunding`, the order cancelled (as expired) if it is still open, and its
/// ticket released if the order still holds it, in one change at the versions read.
async fn claim_refund(
    store: &impl ChangeStore,
    order: &Order,
    ticket: Option<&Ticket>,
    payment: &Payment,
    now: DateTime<Utc>,
) -> Result<Payment> {
    let claimed = payment.claim_refund(now);
    let mut change = Change { payments: vec![Write::Update(claimed.clone())], ..Change::default() };
    if order.is_open() {
        // Past its reservation: the order lapsed.
        let cancelled = order.cancel(CancelReason::Expired);
        change.events.push(cancelled.event(EventType::OrderCancelled, now)?);
        change.orders.push(Write::Update(cancelled));
    }
    change.let_go(ticket, order, now)?;
    store.commit(&change).await?;
    Ok(claimed)
}

/// Carries out a claimed (`refunding`) refund: the gateway refunds the intent under the key derived from it
/// (asking again returns the same refund), then the payment is recorded `refunded`. A claim
/// older than the gateway keeps keys is first looked up there, so that it is never refunded
/// twice. When a concurrent change (the provider's `charge.refunded`) recorded it first, that
/// record stands.
pub async fn finish_refund(
    store: &(impl PaymentStore + ChangeStore),
    gateway: &impl PaymentGateway,
    claimed: &Payment,
    now: DateTime<Utc>,
) -> Result<Payment> {
    let key_expired =
        claimed.refund_claimed_at.is_none_or(|at| now - at >= chrono::Duration::hours(IDEMPOTENCY_KEY_HOURS));
    let known = if key_expired { gateway.refund_of(&claimed.stripe_id).await? } else { None };
    let refund_id = match known {
        Some(refund_id) => refund_id,
        None => match gateway.refund(&claimed.stripe_id).await {
            Ok(refund_id) => refund_id,
            // Refunded meanwhile without this key (from the provider's dashboard): that refund stands.
            Err(error) => gateway.refund_of(&claimed.stripe_id).await?.ok_or(error)?,
        },
    };
    let refunded = claimed.refund(Some(refund_id));
    let change = Change {
        events: vec![refunded.event(EventType::PaymentRefunded, now)?],
        payments: vec![Write::Update(refunded.clone())],
        ..Change::default()
    };
    match store.commit(&change).await {
        Ok(()) => {
            tracing::warn!(order = %claimed.order_id, intent = %claimed.stripe_id, "payment for an order that cannot complete was refunded");
            Ok(refunded)
        }
        Err(Error::Conflict(_)) => match payment_of(store, &claimed.order_id, &claimed.stripe_id).await? {
            settled if settled.status == PaymentStatus::Refunded => Ok(settled),
            other => {
                Err(Error::Internal(anyhow::anyhow!("refund of {} recorded as {:?}", other.stripe_id, other.status)))
            }
        },
        Err(other) => Err(other),
    }
}

/// How long the gateway keeps an idempotency key (Stripe: at least 24 hours).
pub const IDEMPOTENCY_KEY_HOURS: i64 = 24;

/// The provider says an attempt to pay `payment` failed. A settled payment, or one already
/// marked with this failure, is left as it is.
pub async fn record_failure(
    store: &impl ChangeStore,
    payment: Payment,
    message: Option<String>,
    now: DateTime<Utc>,
) -> Result<()> {
    let unchanged = payment.status == PaymentStatus::RequiresPaymentMethod && payment.failure_message == message;
    if !payment.status.is_pending() || unchanged {
        return Ok(());
    }
    save(store, payment.declined(message), EventType::PaymentFailed, now).await
}

/// The provider says the intent's charge was refunded, by us or from its dashboard,
/// `amount_refunded` in all. A partial refund is recorded and the sale stands; a full one
/// settles the payment as refunded and ends its order as `refunded` (see
/// [`refund_order`]) in the same change, and is announced (its buyer is notified).
pub async fn record_refund(
    store: &(impl OrderStore + PaymentStore + TicketStore + PayoutStore + ChangeStore),
    intent_id: &str,
    refund_id: Option<String>,
    amount_refunded: Money,
    full: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let Some(payment) = store.by_intent(intent_id).await? else { return Ok(()) };
    crate::story::about(&payment.order_id);
    if payment.status == PaymentStatus::Refunded || (!full && amount_refunded <= payment.amount_refunded) {
        return Ok(());
    }
    if !full {
        let partly = payment.refund_partly(refund_id, amount_refunded);
        tracing::info!(payment = %payment.id, %amount_refunded, "a partial refund was recorded; the sale stands");
        let mut change = Change { payments: vec![Write::Update(partly)], ..Change::default() };
        let left = Money::from_minor(payment.amount.minor() - amount_refunded.minor());
        let payout = store.payout(&payment.order_id).await?;
        change.update_payout(payout.as_ref(), |payout| payout.refunded_to(left, now));
        return store.commit(&change).await;
    }
    let refunded = payment.refund(refund_id);
    let mut change = Change {
        events: vec![refunded.event(EventType::PaymentRefunded, now)?],
        payments: vec![Write::Update(refunded)],
        ..Change::default()
    };
    if let Some(order) = OrderStore::get(store, &payment.order_id).await? {
        refund_order(store, &order, &mut change, now).await?;
    }
    store.commit(&change).await
}

/// The provider reports dispute `dispute` of the intent's charge at `status`. Opened: the
/// payment records it and a complete order is `disputed` (on hold; the buyer is notified).
/// Won: the order is `complete` again. Lost: the money went back, as a full refund (the
/// payment `refunded`, the order `refunded`). A report of what is already known, or of an
/// opening after the decision (deliveries come in any order), changes nothing.
pub async fn record_dispute(
    store: &(impl OrderStore + PaymentStore + TicketStore + PayoutStore + ChangeStore),
    intent_id: &str,
    dispute: &str,
    status: DisputeStatus,
    now: DateTime<Utc>,
) -> Result<()> {
    let Some(payment) = store.by_intent(intent_id).await? else { return Ok(()) };
    crate::story::about(&payment.order_id);
    if payment.knows_dispute(dispute, status) {
        return Ok(());
    }
    let recorded = payment.disputed(dispute, status);
    let order = OrderStore::get(store, &payment.order_id).await?;
    let mut change = Change::default();
    match status {
        DisputeStatus::Open => {
            change.events.push(recorded.event(EventType::PaymentDisputed, now)?);
            if let Some(order) = order.filter(|order| order.status == OrderStatus::Complete) {
                change.orders.push(Write::Update(order.dispute()));
            }
            let payout = store.payout(&payment.order_id).await?;
            change.update_payout(payout.as_ref(), |payout| payout.hold(HoldReason::Dispute));
            change.payments.push(Write::Update(recorded));
        }
        DisputeStatus::Won => {
            if let Some(order) = order.filter(|order| order.status == OrderStatus::Disputed) {
                change.orders.push(Write::Update(order.dispute_won()));
            }
            let payout = store.payout(&payment.order_id).await?;
            change.update_payout(payout.as_ref(), |payout| payout.unhold(HoldReason::Dispute));
            change.payments.push(Write::Update(recorded));
        }
        DisputeStatus::Lost if payment.status == PaymentStatus::Refunded => {
            change.payments.push(Write::Update(recorded));
        }
        DisputeStatus::Lost => {
            let refunded = Payment { dispute: recorded.dispute, ..payment.refund(None) };
            change.events.push(refunded.event(EventType::PaymentRefunded, now)?);
            if let Some(order) = order {
                refund_order(store, &order, &mut change, now).await?;
            }
            change.payments.push(Write::Update(refunded));
        }
    }
    tracing::warn!(payment = %payment.id, order = %payment.order_id, dispute, ?status, "a dispute was recorded");
    store.commit(&change).await
}

/// Adds to `change` what the full refund of its payment does to `order`: an open, complete
/// or disputed order ends `refunded`; a ticket the open order held is for sale again, a sold
/// one stays off the market; the sale's payout is cancelled, or, paid already, its transfer
/// is to be reversed. A cancelled or refunded order stays as it is.
pub(crate) async fn refund_order(
    store: &(impl TicketStore + PayoutStore),
    order: &Order,
    change: &mut Change,
    now: DateTime<Utc>,
) -> Result<()> {
    if !(order.is_open() || matches!(order.status, OrderStatus::Complete | OrderStatus::Disputed)) {
        return Ok(());
    }
    if order.is_open() {
        change.let_go(TicketStore::get(store, &order.ticket.id).await?.as_ref(), order, now)?;
    } else {
        let payout = store.payout(&order.id).await?;
        change.update_payout(payout.as_ref(), |payout| payout.refunded_to(Money::ZERO, now));
    }
    change.orders.push(Write::Update(order.refunded(now)));
    Ok(())
}

/// Stores `updated` (at the version before its own) with the event that announces it.
pub(super) async fn save(
    store: &impl ChangeStore,
    updated: Payment,
    kind: EventType,
    now: DateTime<Utc>,
) -> Result<()> {
    let change =
        Change { events: vec![updated.event(kind, now)?], payments: vec![Write::Update(updated)], ..Change::default() };
    store.commit(&change).await
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::entities::TicketDraft;
    use crate::ids::UserId;
    use crate::money::Money;

    fn draft_of(ticket: &Ticket) -> TicketDraft {
        TicketDraft { title: ticket.title.clone(), price: ticket.price, date: ticket.date, venue: ticket.venue.clone() }
    }

    #[test]
    fn who_may_complete() {
        let draft = TicketDraft { title: "Concert".into(), price: Money::from_minor(4500), date: None, venue: None };
        let listed = Ticket::list(UserId::from("seller"), draft, Default::default(), Utc::now());
        let placed = "2026-11-26T10:00:00Z".parse().unwrap();
        let order = Order::place(UserId::from("buyer"), &listed, placed, Duration::from_secs(900)).unwrap();
        let other = Order::place(UserId::from("other"), &listed, placed, Duration::from_secs(900)).unwrap();
        let held = listed.reserve_for(&order.id, order.expires_at);
        let in_time = order.expires_at - chrono::Duration::seconds(1);
        let late = order.expires_at;

        let repriced = TicketDraft { price: Money::from_minor(9000), ..draft_of(&listed) };
        let retitled = TicketDraft { title: "Encore".into(), ..draft_of(&listed) };
        let cases: [(&str, Order, Ticket, DateTime<Utc>, bool); 13] = [
            ("open, held, in time", order.clone(), held.clone(), in_time, true),
            ("awaiting payment, held, in time", order.await_payment(), held.clone(), in_time, true),
            ("paid at expiresAt", order.clone(), held.clone(), late, false),
            ("held by another order", order.clone(), listed.reserve_for(&other.id, other.expires_at), in_time, false),
            ("sold to another order", order.clone(), listed.sell_to(&other.id), in_time, false),
            ("expired, ticket free again", order.cancel(CancelReason::Expired), held.release(), in_time, true),
            (
                "expired, ticket taken",
                order.cancel(CancelReason::Expired),
                listed.reserve_for(&other.id, other.expires_at),
                in_time,
                false,
            ),
            ("cancelled by the buyer", order.cancel(CancelReason::User), held.release(), in_time, false),
            ("already complete", order.complete(), held.sell_to(&order.id), in_time, false),
            ("open, ticket free", order.clone(), held.release(), in_time, true),
            (
                "expired, ticket free, repriced",
                order.cancel(CancelReason::Expired),
                held.release().edit(repriced),
                in_time,
                false,
            ),
            ("open, ticket free, retitled", order.clone(), held.release().edit(retitled), in_time, false),
            (
                "expired, edited to the same terms",
                order.cancel(CancelReason::Expired),
                held.release().edit(draft_of(&listed)),
                in_time,
                true,
            ),
        ];
        for (name, order, ticket, paid_at, expected) in cases {
            assert_eq!(may_complete(&order, &ticket, paid_at), expected, "{name}");
        }
    }
}
