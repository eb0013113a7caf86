//! Payouts for orders completed before payouts existed: a one-off, idempotent pass over the
//! orders (`backfill-payouts`).

use chrono::{DateTime, Utc};

use crate::change::{Change, Write};
use crate::entities::{HoldReason, Order, OrderStatus, PaymentStatus, Payout};
use crate::error::{Error, Result};
use crate::money::Money;
use crate::ports::{ChangeStore, PaymentStore, PayoutStore, TicketStore};

/// Gives `order` the payout it lacks if it is a sale (`complete` or `disputed`, its payment
/// succeeded): on the terms its ticket was listed at (none, for a ticket listed before fees
/// existed), for what is left of the charge after partial refunds, held while disputed, and
/// released after the event, or, for a ticket without a date, a hold after `now` (when it
/// completed is not recorded). Whether it wrote one; an order that has one keeps it.
pub async fn backfill(
    store: &(impl TicketStore + PaymentStore + PayoutStore + ChangeStore),
    order: &Order,
    now: DateTime<Utc>,
) -> Result<bool> {
    if !matches!(order.status, OrderStatus::Complete | OrderStatus::Disputed)
        || store.payout(&order.id).await?.is_some()
    {
        return Ok(false);
    }
    let Some(payment) = store.for_order(&order.id).await?.filter(|payment| payment.status == PaymentStatus::Succeeded)
    else {
        tracing::error!(order = %order.id, "a complete order without a succeeded payment: no payout written");
        return Ok(false);
    };
    let Some(ticket) = TicketStore::get(store, &order.ticket.id).await? else {
        tracing::error!(order = %order.id, "a complete order whose ticket is gone: no payout written");
        return Ok(false);
    };
    let sale = Payout::for_sale(order, &ticket, &payment.stripe_id, now);
    let mut payout = sale.refunded_to(Money::from_minor(payment.amount.minor() - payment.amount_refunded.minor()), now);
    if order.status == OrderStatus::Disputed {
        payout = payout.hold(HoldReason::Dispute);
    }
    let payout = Payout { version: 0, ..payout };
    match store.commit(&Change { payouts: vec![Write::Insert(payout)], ..Change::default() }).await {
        Ok(()) => Ok(true),
        // Written meanwhile (by its completion, or another pass).
        Err(Error::Conflict(_)) => Ok(false),
        Err(other) => Err(other),
    }
}
