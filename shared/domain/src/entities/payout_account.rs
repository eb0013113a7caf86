//! A seller's payout account at the provider (a Stripe Connect account): created once per
//! seller, onboarded on the provider's hosted pages, then able to receive payouts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::UserId;
use crate::money::Money;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutAccount {
    /// The seller. (Not named `seller`: the payouts table's by-seller index lists payouts only.)
    pub user_id: UserId,
    /// The provider's account id.
    pub account_id: String,
    /// The provider says payouts can reach it.
    pub payouts_enabled: bool,
    /// When the seller disconnected it from the platform: nothing is paid to it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disconnected_at: Option<DateTime<Utc>>,
    pub version: u64,
    pub created_at: DateTime<Utc>,
}

impl PayoutAccount {
    pub fn open(seller: UserId, account_id: String, now: DateTime<Utc>) -> PayoutAccount {
        PayoutAccount {
            user_id: seller,
            account_id,
            payouts_enabled: false,
            disconnected_at: None,
            version: 0,
            created_at: now,
        }
    }

    /// The seller disconnected it at `now`: it can no longer receive payouts.
    pub fn disconnected(&self, now: DateTime<Utc>) -> PayoutAccount {
        PayoutAccount { payouts_enabled: false, disconnected_at: Some(now), version: self.version + 1, ..self.clone() }
    }

    /// As the provider now reports it.
    pub fn enabled(&self, payouts_enabled: bool) -> PayoutAccount {
        PayoutAccount { payouts_enabled, version: self.version + 1, ..self.clone() }
    }
}

/// Where a seller's payout account stands, as the seller sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AccountStatus {
    /// No account yet: connect one.
    None,
    /// Created, not able to receive payouts yet (onboarding unfinished, or restricted).
    Pending,
    Enabled,
}

/// A seller's payout account as they see it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountView {
    pub status: AccountStatus,
    pub payouts_enabled: bool,
    /// The account's dashboard at the provider, once enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dashboard_url: Option<String>,
    /// The seller disconnected it from the platform: payouts are held (present only then).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub disconnected: bool,
}

/// Where to send a seller to onboard their payout account (the provider's hosted pages).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OnboardingLink {
    pub url: String,
}

/// What the provider reports about connected accounts and transfers (Stripe's Connect
/// webhook), as far as payouts care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountEvent {
    pub id: String,
    pub kind: AccountEventKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountEventKind {
    /// The account can (or can no longer) receive payouts.
    Updated { account: String, payouts_enabled: bool },
    /// The seller disconnected the account from the platform.
    Deauthorized { account: String },
    /// A transfer was made, changed or reversed (`kind`: the provider's type).
    Transfer { transfer: String, kind: String },
    /// Anything else: acknowledged.
    Other { kind: String },
}

/// What the provider reports of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AccountState {
    pub payouts_enabled: bool,
}

/// A transfer of a seller's share: once per order (its idempotency key derives from it),
/// from the order's charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRequest<'a> {
    pub order: &'a str,
    pub account: &'a str,
    pub amount: Money,
    pub currency: &'a str,
    /// The buyer's PaymentIntent: the transfer is made from its charge.
    pub source: &'a str,
}

impl TransferRequest<'_> {
    /// The transfer's idempotency key.
    pub fn key(&self) -> String {
        transfer_key(self.order)
    }
}

/// The idempotency key of an order's one transfer.
pub fn transfer_key(order: &str) -> String {
    format!("{order}-transfer")
}

/// The idempotency key of a transfer's `n`th reversal (from 0).
pub fn reversal_key(order: &str, n: u32) -> String {
    format!("{order}-reversal-{n}")
}

/// A reversal of (part of) a transfer: what it took back, which may be less than asked when
/// the account could not cover it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reversal {
    pub id: String,
    pub amount: Money,
}
