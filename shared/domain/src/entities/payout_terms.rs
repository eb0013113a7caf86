//! What a seller agrees to when listing a ticket: how its sale is paid out.

use serde::{Deserialize, Serialize};

use crate::money::Money;

/// What a seller agrees to when listing: the platform's fee (basis points of the price plus
/// a fixed amount, never more than the price) and how long after the event (or, for a
/// ticket without a date, after the sale) the money is held before it is paid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutTerms {
    /// Hundredths of a percent of the amount.
    pub fee_bps: u32,
    /// A fixed part, in minor units.
    pub fee_fixed: Money,
    pub hold_seconds: u64,
}

impl PayoutTerms {
    /// The terms of a ticket listed before the marketplace charged a fee: no fee (its seller
    /// never agreed to one), and the default hold.
    pub fn before_fees() -> PayoutTerms {
        PayoutTerms { fee_bps: 0, fee_fixed: Money::ZERO, hold_seconds: DEFAULT_HOLD_SECONDS }
    }

    /// The fee on `amount`: `fee_bps` of it, rounded half up to the cent, plus `fee_fixed`,
    /// capped at `amount` (so the seller's net is never negative).
    pub fn fee_of(&self, amount: Money) -> Money {
        let amount = amount.minor().max(0);
        let share = (i128::from(amount) * i128::from(self.fee_bps) + 5_000) / 10_000;
        let fee = i64::try_from(share).unwrap_or(i64::MAX).saturating_add(self.fee_fixed.minor());
        Money::from_minor(fee.min(amount))
    }

    /// What the seller receives of `amount`.
    pub fn net_of(&self, amount: Money) -> Money {
        Money::from_minor(amount.minor() - self.fee_of(amount).minor())
    }
}

/// Three days after the event.
pub const DEFAULT_HOLD_SECONDS: u64 = 3 * 24 * 3600;
