//! A payout: the seller's share of one complete order, held by the platform until after the
//! event, then transferred to the seller's payout account, the platform keeping its fee.
//!
//! The payout is written by the change that completes its order, and every later change of
//! the order's money (a refund, a dispute, a problem report) updates it in the same change,
//! so that its numbers are always those of the sale as it stands: `amount` is what the buyer
//! paid less what went back, `fee` the agreed fee on that amount, `net` the rest.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::order::Order;
use super::payout_account::Reversal;
use super::payout_terms::PayoutTerms;
use super::ticket::Ticket;
use crate::ids::{OrderId, TicketId, UserId};
use crate::money::{self, Money};
use crate::time::timestamp;

/// Where a payout stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayoutStatus {
    /// Waiting for its release time.
    Scheduled,
    /// Not released while something holds it (`held_for`).
    Held,
    /// The transfer is decided and claimed; the gateway is being asked (a retry finishes it,
    /// never decides again).
    Releasing,
    /// Transferred to the seller.
    Paid,
    /// A reversal of part of the transfer is decided and claimed (`reversal_due`).
    Reversing,
    /// Some or all of the transfer was taken back (`reversed`).
    Reversed,
    /// Nothing will be paid: the sale was refunded in full before release.
    Cancelled,
}

/// Why a payout is not released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum HoldReason {
    /// The buyer's bank contests the charge.
    Dispute,
    /// The buyer reported a problem ("ticket not received") that an operator has not resolved.
    Problem,
    /// The seller has no payout account able to receive payouts: connect one.
    NoAccount,
    /// The ticket's file has not been delivered to the buyer: the seller uploads it.
    AwaitingDelivery,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payout {
    /// One per complete order.
    pub order_id: OrderId,
    pub ticket_id: TicketId,
    pub seller: UserId,
    pub terms: PayoutTerms,
    /// What the buyer paid, less what went back.
    pub amount: Money,
    pub fee: Money,
    pub net: Money,
    pub currency: String,
    /// The buyer's PaymentIntent: the transfer is made from its charge.
    pub intent: String,
    pub release_at: DateTime<Utc>,
    pub status: PayoutStatus,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held_for: Vec<HoldReason>,
    /// The seller's payout account the transfer goes to, decided when it is claimed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// What is transferred, from the transfer's claim on.
    #[serde(default, skip_serializing_if = "Money::is_zero")]
    pub transferred: Money,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_id: Option<String>,
    /// When the transfer or the current reversal was claimed: the gateway keeps their
    /// idempotency keys for about a day, so an older claim is looked up first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_at: Option<DateTime<Utc>>,
    /// While `Reversing`: how much the claimed reversal takes back.
    #[serde(default, skip_serializing_if = "Money::is_zero")]
    pub reversal_due: Money,
    /// Decided to be taken back, not claimed yet (a refund that came while the transfer or
    /// another reversal was in flight): claimed when that one is done.
    #[serde(default, skip_serializing_if = "Money::is_zero")]
    pub to_reverse: Money,
    /// Taken back so far.
    #[serde(default, skip_serializing_if = "Money::is_zero")]
    pub reversed: Money,
    /// Reversals made so far: the next one's idempotency key derives from it.
    #[serde(default)]
    pub reversals: u32,
    /// What a reversal could not take back from the seller's account: the platform's loss.
    #[serde(default, skip_serializing_if = "Money::is_zero")]
    pub loss: Money,
    pub version: u64,
    pub created_at: DateTime<Utc>,
}

/// A payout as its seller sees it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutView<'a> {
    pub order_id: &'a OrderId,
    pub ticket_id: &'a TicketId,
    #[serde(serialize_with = "money::serialize_decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = f64, example = 45.00))]
    pub amount: Money,
    #[serde(serialize_with = "money::serialize_decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = f64, example = 2.75))]
    pub fee: Money,
    #[serde(serialize_with = "money::serialize_decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = f64, example = 42.25))]
    pub net: Money,
    pub currency: &'a str,
    pub status: PayoutState,
    /// Why it is held (while `held`).
    pub held_for: &'a [HoldReason],
    /// Taken back from the seller after it was paid.
    #[serde(serialize_with = "money::serialize_decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = f64, example = 0))]
    pub reversed: Money,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub release_at: String,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
}

/// A payout's status as its seller sees it (a claim in progress shows as the state it
/// leaves).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PayoutState {
    Scheduled,
    Held,
    Paid,
    Reversed,
    Cancelled,
}

impl Payout {
    /// The payout of `order`, paid through `intent` and completed at `now` for `ticket` (the
    /// seller's, on the terms agreed when listing it): released `hold_seconds` after the
    /// event, or after `now` for a ticket without a date.
    pub fn for_sale(order: &Order, ticket: &Ticket, intent: &str, now: DateTime<Utc>) -> Payout {
        let terms = ticket.payout_terms;
        let amount = order.ticket.price;
        let hold = chrono::Duration::seconds(i64::try_from(terms.hold_seconds).unwrap_or(i64::MAX / 1000));
        Payout {
            order_id: order.id.clone(),
            ticket_id: ticket.id.clone(),
            seller: ticket.user_id.clone(),
            terms,
            amount,
            fee: terms.fee_of(amount),
            net: terms.net_of(amount),
            currency: order.ticket.currency.clone(),
            intent: intent.to_owned(),
            release_at: ticket.date.unwrap_or(now).checked_add_signed(hold).unwrap_or(DateTime::<Utc>::MAX_UTC),
            // Nothing is paid for a ticket the buyer has not received.
            status: if ticket.file.is_some() { PayoutStatus::Scheduled } else { PayoutStatus::Held },
            held_for: if ticket.file.is_some() { Vec::new() } else { vec![HoldReason::AwaitingDelivery] },
            account: None,
            transferred: Money::ZERO,
            transfer_id: None,
            claimed_at: None,
            reversal_due: Money::ZERO,
            to_reverse: Money::ZERO,
            reversed: Money::ZERO,
            reversals: 0,
            loss: Money::ZERO,
            version: 0,
            created_at: now,
        }
    }

    fn next(&self) -> Payout {
        Payout { version: self.version + 1, ..self.clone() }
    }

    /// Not transferred yet, and no transfer claimed.
    pub fn is_before_release(&self) -> bool {
        matches!(self.status, PayoutStatus::Scheduled | PayoutStatus::Held)
    }

    /// Held for `reason` (before release; a later hold changes nothing).
    pub fn hold(&self, reason: HoldReason) -> Payout {
        if !self.is_before_release() || self.held_for.contains(&reason) {
            return self.clone();
        }
        let mut held = self.next();
        held.held_for.push(reason);
        held.held_for.sort();
        held.status = PayoutStatus::Held;
        held
    }

    /// No longer held for `reason`: scheduled again when nothing else holds it.
    pub fn unhold(&self, reason: HoldReason) -> Payout {
        if !self.is_before_release() || !self.held_for.contains(&reason) {
            return self.clone();
        }
        let mut next = self.next();
        next.held_for.retain(|held| *held != reason);
        next.status = if next.held_for.is_empty() { PayoutStatus::Scheduled } else { PayoutStatus::Held };
        next
    }

    /// The sale now brings `amount` (the charge less all refunds): before release, the fee is
    /// taken on the new amount at the agreed terms and the net is the rest (nothing left:
    /// `cancelled`); after release, the part of the transfer the seller no longer earns is to
    /// be taken back (`reversing`, claimed). An amount that did not go down changes nothing.
    pub fn refunded_to(&self, amount: Money, now: DateTime<Utc>) -> Payout {
        if amount >= self.amount || self.status == PayoutStatus::Cancelled {
            return self.clone();
        }
        let mut next = self.next();
        next.amount = amount;
        next.fee = self.terms.fee_of(amount);
        next.net = self.terms.net_of(amount);
        if self.is_before_release() {
            if amount.is_zero() {
                next.status = PayoutStatus::Cancelled;
                next.held_for.clear();
            }
        } else {
            // Still with the seller: transferred, and neither taken back nor decided to be.
            let kept =
                self.transferred.minor() - self.reversed.minor() - self.reversal_due.minor() - self.to_reverse.minor();
            let due = kept - next.net.minor();
            if due > 0 {
                next.to_reverse = Money::from_minor(self.to_reverse.minor() + due);
                next = next.claim_reversal(now);
            }
        }
        next
    }

    /// Whether work on it is due at `now`: its release, or a claimed transfer or reversal.
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        match self.status {
            PayoutStatus::Scheduled => self.release_at <= now,
            PayoutStatus::Releasing | PayoutStatus::Reversing => true,
            _ => false,
        }
    }

    /// The decision to transfer the net to `account`, claimed before the provider is asked.
    pub fn claim_transfer(&self, account: &str, now: DateTime<Utc>) -> Payout {
        Payout {
            status: PayoutStatus::Releasing,
            account: Some(account.to_owned()),
            transferred: self.net,
            claimed_at: Some(now),
            ..self.next()
        }
    }

    /// The claimed transfer was made: paid, and what a refund meanwhile decided to take back
    /// is claimed next.
    pub fn paid(&self, transfer_id: String, now: DateTime<Utc>) -> Payout {
        Payout { status: PayoutStatus::Paid, transfer_id: Some(transfer_id), ..self.next() }.claim_reversal(now)
    }

    /// The claimed reversal took back `reversal.amount`; what it could not is the platform's
    /// loss. What was decided meanwhile is claimed next.
    pub fn reversed_by(&self, reversal: &Reversal, now: DateTime<Utc>) -> Payout {
        let lost = self.reversal_due.minor() - reversal.amount.minor();
        Payout {
            status: PayoutStatus::Reversed,
            reversed: Money::from_minor(self.reversed.minor() + reversal.amount.minor()),
            loss: Money::from_minor(self.loss.minor() + lost.max(0)),
            reversal_due: Money::ZERO,
            reversals: self.reversals + 1,
            ..self.next()
        }
        .claim_reversal(now)
    }

    /// Claims the reversal of what is to be taken back, unless a transfer or reversal is in
    /// flight (that one's end claims it).
    fn claim_reversal(mut self, now: DateTime<Utc>) -> Payout {
        if matches!(self.status, PayoutStatus::Paid | PayoutStatus::Reversed) && !self.to_reverse.is_zero() {
            self.claimed_at = Some(now);
            self.reversal_due = self.to_reverse;
            self.to_reverse = Money::ZERO;
            self.status = PayoutStatus::Reversing;
        }
        self
    }

    /// The status its seller sees.
    pub fn state(&self) -> PayoutState {
        match self.status {
            PayoutStatus::Scheduled | PayoutStatus::Releasing => PayoutState::Scheduled,
            PayoutStatus::Held => PayoutState::Held,
            PayoutStatus::Paid | PayoutStatus::Reversing if self.reversed.is_zero() => PayoutState::Paid,
            PayoutStatus::Paid | PayoutStatus::Reversing | PayoutStatus::Reversed => PayoutState::Reversed,
            PayoutStatus::Cancelled => PayoutState::Cancelled,
        }
    }

    pub fn view(&self) -> PayoutView<'_> {
        PayoutView {
            order_id: &self.order_id,
            ticket_id: &self.ticket_id,
            amount: self.amount,
            fee: self.fee,
            net: self.net,
            currency: &self.currency,
            status: self.state(),
            held_for: &self.held_for,
            reversed: self.reversed,
            release_at: timestamp(&self.release_at),
            created_at: timestamp(&self.created_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(fee_bps: u32, fixed: i64) -> PayoutTerms {
        PayoutTerms { fee_bps, fee_fixed: Money::from_minor(fixed), hold_seconds: 60 }
    }

    #[test]
    fn the_fee_is_a_share_plus_a_fixed_part_never_more_than_the_amount() {
        let five_percent_and_fifty = terms(500, 50);
        for (amount, fee) in [(4500, 275), (1999, 150), (10, 10), (50, 50), (51, 51), (0, 0), (99_999_999, 5_000_050)] {
            let amount = Money::from_minor(amount);
            assert_eq!(five_percent_and_fifty.fee_of(amount), Money::from_minor(fee), "{amount}");
            assert_eq!(
                five_percent_and_fifty.fee_of(amount).minor() + five_percent_and_fifty.net_of(amount).minor(),
                amount.minor()
            );
            assert!(five_percent_and_fifty.net_of(amount) >= Money::ZERO);
        }
        // Half a cent rounds up; less does not.
        assert_eq!(terms(250, 0).fee_of(Money::from_minor(102)), Money::from_minor(3), "2.55 cents");
        assert_eq!(terms(250, 0).fee_of(Money::from_minor(101)), Money::from_minor(3), "2.525 cents");
        assert_eq!(terms(250, 0).fee_of(Money::from_minor(100)), Money::from_minor(3), "2.5 cents");
        assert_eq!(terms(240, 0).fee_of(Money::from_minor(100)), Money::from_minor(2), "2.4 cents");
        assert_eq!(terms(10_000, 0).fee_of(Money::from_minor(100)), Money::from_minor(100), "all of it");
        assert_eq!(PayoutTerms::before_fees().fee_of(Money::from_minor(4500)), Money::ZERO);
    }

    /// The sale of a ticket listed at 45.00 on 5 % + 0.50, with its file or without.
    fn sale_of(with_file: bool) -> Payout {
        use crate::entities::{FileDraft, FileType, PendingUpload, TicketDraft};
        let draft = TicketDraft { title: "Concert".into(), price: Money::from_minor(4500), date: None, venue: None };
        let now: DateTime<Utc> = "2026-11-26T10:00:00Z".parse().unwrap();
        let mut ticket = Ticket::list(UserId::from("seller"), draft, terms(500, 50), now);
        if with_file {
            let file = FileDraft { name: "t.pdf".into(), content_type: FileType::Pdf, size: 9 };
            ticket = ticket.attach(PendingUpload::new(&ticket.id, file, now).checked(now));
        }
        let order = Order::place(UserId::from("buyer"), &ticket, now, std::time::Duration::from_secs(900)).unwrap();
        Payout::for_sale(&order.complete(), &ticket.sell_to(&order.id), "pi_1", now)
    }

    fn sale() -> Payout {
        sale_of(true)
    }

    #[test]
    fn a_sale_without_the_ticket_file_is_held_until_it_is_delivered() {
        let delivered = sale();
        let held = sale_of(false);
        assert_eq!((held.status, held.held_for.clone()), (PayoutStatus::Held, vec![HoldReason::AwaitingDelivery]));
        assert!(!held.is_due(held.release_at), "not released at its time");
        let unheld = held.unhold(HoldReason::AwaitingDelivery);
        assert_eq!((unheld.status, unheld.version), (PayoutStatus::Scheduled, 1));
        assert!(unheld.is_due(unheld.release_at));
        assert_eq!((delivered.status, delivered.held_for.len()), (PayoutStatus::Scheduled, 0));
    }

    #[test]
    fn a_sale_is_paid_out_after_the_hold_with_the_agreed_fee() {
        let payout = sale();
        assert_eq!((payout.amount.minor(), payout.fee.minor(), payout.net.minor()), (4500, 275, 4225));
        assert_eq!(payout.release_at, payout.created_at + chrono::Duration::seconds(60), "no date: from the sale");
        assert_eq!((payout.status, payout.state()), (PayoutStatus::Scheduled, PayoutState::Scheduled));
    }

    #[test]
    fn a_refund_before_release_recomputes_the_fee_on_what_is_left_or_cancels() {
        let now = Utc::now();
        let partly = sale().refunded_to(Money::from_minor(2000), now);
        assert_eq!((partly.amount.minor(), partly.fee.minor(), partly.net.minor()), (2000, 150, 1850));
        assert_eq!((partly.status, partly.version), (PayoutStatus::Scheduled, 1));
        assert_eq!(partly.refunded_to(Money::from_minor(2000), now), partly, "the same amount changes nothing");
        let held = partly.hold(HoldReason::Dispute);
        let all = held.refunded_to(Money::ZERO, now);
        assert_eq!(
            (all.amount, all.fee, all.net, all.status),
            (Money::ZERO, Money::ZERO, Money::ZERO, PayoutStatus::Cancelled)
        );
        assert!(all.held_for.is_empty());
        assert_eq!(all.hold(HoldReason::Problem), all, "a cancelled payout is not held");
    }

    #[test]
    fn holds_stack_and_the_payout_is_scheduled_again_when_none_is_left() {
        let payout = sale();
        let held = payout.hold(HoldReason::Problem).hold(HoldReason::Dispute);
        assert_eq!(
            (held.status, held.held_for.clone()),
            (PayoutStatus::Held, vec![HoldReason::Dispute, HoldReason::Problem])
        );
        assert_eq!(held.hold(HoldReason::Dispute), held, "held once per reason");
        let one = held.unhold(HoldReason::Dispute);
        assert_eq!((one.status, one.state()), (PayoutStatus::Held, PayoutState::Held));
        assert_eq!(one.unhold(HoldReason::Problem).status, PayoutStatus::Scheduled);
    }

    #[test]
    fn a_refund_after_release_takes_back_what_the_seller_no_longer_earns() {
        let now = Utc::now();
        let paid = Payout { status: PayoutStatus::Paid, transferred: Money::from_minor(4225), ..sale() };
        let reversing = paid.refunded_to(Money::from_minor(2000), now);
        assert_eq!((reversing.status, reversing.reversal_due.minor()), (PayoutStatus::Reversing, 4225 - 1850));
        assert_eq!(reversing.claimed_at, Some(now));
        // A second refund while that reversal is in flight waits for it.
        let more = reversing.refunded_to(Money::ZERO, now);
        assert_eq!(
            (more.status, more.reversal_due.minor(), more.to_reverse.minor()),
            (PayoutStatus::Reversing, 2375, 1850)
        );
        let transferred = more.transferred.minor() - more.reversal_due.minor() - more.to_reverse.minor();
        assert_eq!(transferred + more.fee.minor(), more.amount.minor(), "the ledger balances once both are done");
    }
}
