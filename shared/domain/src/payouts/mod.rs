//! Paying sellers: every complete order has a payout, written by the change that completes
//! it, holding the seller's share (the price less the platform's fee, on the terms agreed
//! when the ticket was listed) until after the event. Refunds, disputes and problem reports
//! update it in the same change that changes the order's money, so that over all payouts
//! what was transferred, less what was reversed, plus the fees kept, is what was charged
//! less what was refunded.

mod accounts;
mod backfill;
mod problems;
mod release;
mod schedules;

pub use accounts::{
    ACCOUNT_EVENTS, DISCONNECTED, PublicOrigin, connect, disconnected, handle_account_event, show, updated,
};
pub use backfill::backfill;
pub use problems::{PROBLEM_MESSAGE_MAX, report, resolve};
pub use release::{SWEEP_LIMIT, Swept, release, sweep};
pub use schedules::{CONSUMES, schedule};

use crate::config::{ConfigError, Env, FromEnv};
use crate::entities::{DEFAULT_HOLD_SECONDS, Payout, PayoutTerms};
use crate::error::Result;
use crate::ids::UserId;
use crate::money::Money;
use crate::page::{Page, PageRequest};
use crate::ports::PayoutStore;

/// 5 % of the price.
pub const DEFAULT_FEE_BPS: u32 = 500;
/// Plus 0.50.
pub const DEFAULT_FEE_CENTS: i64 = 50;

/// The terms new listings are paid out on: `PLATFORM_FEE_BPS` (basis points of the price,
/// 500), `PLATFORM_FEE_CENTS` (a fixed part in cents, 50) and `PAYOUT_HOLD_SECONDS` (how long
/// after the event, or after the sale for a ticket without a date: 259200, three days).
impl FromEnv for PayoutTerms {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let number = |name: &'static str, default: u64, max: u64| match env.optional(name) {
            None => Ok(default),
            Some(raw) => match raw.trim().parse::<u64>() {
                Ok(value) if value <= max => Ok(value),
                _ => Err(ConfigError::Invalid {
                    name,
                    reason: format!("expected a whole number up to {max}, got {raw:?}"),
                }),
            },
        };
        let fee_bps = number("PLATFORM_FEE_BPS", u64::from(DEFAULT_FEE_BPS), 10_000)?;
        let fee_fixed = number("PLATFORM_FEE_CENTS", DEFAULT_FEE_CENTS as u64, Money::MAX.minor() as u64)?;
        Ok(PayoutTerms {
            fee_bps: fee_bps as u32,
            fee_fixed: Money::from_minor(fee_fixed as i64),
            hold_seconds: env.seconds("PAYOUT_HOLD_SECONDS", DEFAULT_HOLD_SECONDS)?.as_secs(),
        })
    }
}

impl Default for PayoutTerms {
    fn default() -> Self {
        PayoutTerms {
            fee_bps: DEFAULT_FEE_BPS,
            fee_fixed: Money::from_minor(DEFAULT_FEE_CENTS),
            hold_seconds: DEFAULT_HOLD_SECONDS,
        }
    }
}

/// The seller's payouts, newest order first.
pub async fn list(store: &impl PayoutStore, seller: &UserId, page: &PageRequest) -> Result<Page<Payout>> {
    store.payouts(seller, page).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &'static [(&'static str, &'static str)]) -> Result<PayoutTerms, ConfigError> {
        Env::from_fn(move |name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())).load()
    }

    #[test]
    fn the_fee_and_hold_have_non_zero_defaults_and_bounds() {
        assert_eq!(read(&[]).unwrap(), PayoutTerms::default());
        assert!(PayoutTerms::default().fee_bps > 0 && !PayoutTerms::default().fee_fixed.is_zero());
        let set = read(&[("PLATFORM_FEE_BPS", "1000"), ("PLATFORM_FEE_CENTS", "0"), ("PAYOUT_HOLD_SECONDS", "5")]);
        assert_eq!(set.unwrap(), PayoutTerms { fee_bps: 1000, fee_fixed: Money::ZERO, hold_seconds: 5 });
        for bad in [
            &[("PLATFORM_FEE_BPS", "10001")][..],
            &[("PLATFORM_FEE_BPS", "-1")],
            &[("PLATFORM_FEE_CENTS", "1.5")],
            &[("PAYOUT_HOLD_SECONDS", "0")],
        ] {
            assert!(read(bad).is_err(), "{bad:?}");
        }
    }
}
