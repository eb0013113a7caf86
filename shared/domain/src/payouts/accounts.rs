//! Sellers' payout accounts: created at the provider once per seller, onboarded on its
//! hosted pages, and followed as the provider reports them. An account that becomes able to
//! receive payouts releases what was held for want of one.

use chrono::{DateTime, Utc};
use tracing::Instrument;

use super::release::release;
use crate::change::{Change, Write};
use crate::entities::{
    AccountEvent, AccountEventKind, AccountStatus, AccountView, HoldReason, PayoutAccount, PayoutStatus,
};
use crate::error::{Error, Result};
use crate::ids::{OrderId, UserId};
use crate::page::PageRequest;
use crate::ports::{ChangeStore, Inbox, PayoutGateway, PayoutStore};

/// Where the provider's pages send a seller back to: the web client's payouts page, on the
/// configured public origin (never a request's `Host`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicOrigin(pub String);

impl PublicOrigin {
    /// The page onboarding returns to.
    pub fn return_url(&self) -> String {
        format!("{}/#/payouts", self.0.trim_end_matches('/'))
    }

    /// The page an expired onboarding link sends the seller to (it asks for a fresh one).
    pub fn refresh_url(&self) -> String {
        format!("{}/#/payouts?refresh=1", self.0.trim_end_matches('/'))
    }

    /// An order's page (what most mail links to).
    pub fn order_url(&self, order: &str) -> String {
        format!("{}/#/orders/{}", self.0.trim_end_matches('/'), crate::encoding::percent_encode(order))
    }

    /// The web client's `page` that a mail with a single-use token links to, with the token.
    pub fn token_url(&self, page: &str, token: &str) -> String {
        format!("{}/#/{page}?token={}", self.0.trim_end_matches('/'), crate::encoding::percent_encode(token))
    }
}

impl crate::config::FromEnv for PublicOrigin {
    /// `PUBLIC_ORIGIN`: `https://` and a host (an `http://` origin on a loopback address, for
    /// the local runner).
    fn from_env(env: &crate::config::Env) -> Result<Self, crate::config::ConfigError> {
        let origin = env.required("PUBLIC_ORIGIN")?;
        PublicOrigin::parse(&origin).ok_or(crate::config::ConfigError::Invalid {
            name: "PUBLIC_ORIGIN",
            reason: format!("not an origin: {origin:?}"),
        })
    }
}

impl PublicOrigin {
    pub fn parse(raw: &str) -> Option<PublicOrigin> {
        let raw = raw.trim().trim_end_matches('/');
        let host = raw.strip_prefix("https://").or_else(|| {
            raw.strip_prefix("http://").filter(|host| host.starts_with("127.0.0.1") || host.starts_with("localhost"))
        })?;
        let valid = !host.is_empty() && !host.contains(['/', '?', '#', '@', ' ']);
        valid.then(|| PublicOrigin(raw.to_owned()))
    }
}

/// A fresh onboarding link for `seller`, whose account is created first if they have none
/// (once: the provider's key derives from the seller, and the record is inserted only once).
pub async fn connect(
    store: &(impl PayoutStore + ChangeStore),
    gateway: &impl PayoutGateway,
    seller: &UserId,
    origin: &PublicOrigin,
    now: DateTime<Utc>,
) -> Result<String> {
    let account = match store.account(seller).await? {
        Some(account) => account,
        None => {
            let opened = PayoutAccount::open(seller.clone(), gateway.create_account(seller).await?, now);
            let change = Change { accounts: vec![Write::Insert(opened.clone())], ..Change::default() };
            match store.commit(&change).await {
                Ok(()) => opened,
                // A concurrent request made it: the same account (the same key).
                Err(Error::Conflict(_)) => store.account(seller).await?.ok_or(Error::Conflict(crate::change::STALE))?,
                Err(other) => return Err(other),
            }
        }
    };
    if account.disconnected_at.is_some() {
        return Err(Error::Conflict(DISCONNECTED));
    }
    gateway.onboarding_link(&account.account_id, &origin.return_url(), &origin.refresh_url()).await
}

/// `seller`'s payout account as they see it. A pending one is asked about at the provider
/// first, so that finishing onboarding shows at once even before the provider's report.
pub async fn show(
    store: &(impl PayoutStore + ChangeStore),
    gateway: &impl PayoutGateway,
    seller: &UserId,
    now: DateTime<Utc>,
) -> Result<AccountView> {
    let Some(mut account) = store.account(seller).await? else {
        return Ok(AccountView {
            status: AccountStatus::None,
            payouts_enabled: false,
            dashboard_url: None,
            disconnected: false,
        });
    };
    if account.disconnected_at.is_some() {
        // The provider no longer lets the platform ask about it.
        let view = AccountView {
            status: AccountStatus::Pending,
            payouts_enabled: false,
            dashboard_url: None,
            disconnected: true,
        };
        return Ok(view);
    }
    if !account.payouts_enabled && gateway.account(&account.account_id).await?.payouts_enabled {
        account = updated(store, gateway, &account.account_id, true, now).await?.unwrap_or(account);
    }
    let dashboard_url =
        if account.payouts_enabled { Some(gateway.dashboard_link(&account.account_id).await?) } else { None };
    let status = if account.payouts_enabled { AccountStatus::Enabled } else { AccountStatus::Pending };
    Ok(AccountView { status, payouts_enabled: account.payouts_enabled, dashboard_url, disconnected: false })
}

/// The provider reports that `account_id` can (or no longer can) receive payouts. Enabled:
/// the seller's payouts held for want of an account are released (those due now at once,
/// the others at their time). Returns the account as recorded (`None`: not one of ours).
pub async fn updated(
    store: &(impl PayoutStore + ChangeStore),
    gateway: &impl PayoutGateway,
    account_id: &str,
    payouts_enabled: bool,
    now: DateTime<Utc>,
) -> Result<Option<PayoutAccount>> {
    let Some(account) = store.account_by_id(account_id).await? else { return Ok(None) };
    let account = if account.payouts_enabled == payouts_enabled || account.disconnected_at.is_some() {
        account
    } else {
        let next = account.enabled(payouts_enabled);
        store.commit(&Change { accounts: vec![Write::Update(next.clone())], ..Change::default() }).await?;
        tracing::info!(seller = %account.user_id, payouts_enabled, "a payout account changed");
        next
    };
    if account.payouts_enabled {
        release_held(store, gateway, &account.user_id, now).await?;
    }
    Ok(Some(account))
}

/// What a seller whose payout account was disconnected is told when asking for a link.
pub const DISCONNECTED: &str =
    "Your payout account was disconnected from this marketplace: contact support to connect another";

/// The seller disconnected `account_id` from the platform: it can no longer receive
/// payouts, so the next ones are held for want of an account (one in flight finishes or
/// fails at the provider). Returns the account as recorded (`None`: not one of ours).
pub async fn disconnected(
    store: &(impl PayoutStore + ChangeStore),
    account_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<PayoutAccount>> {
    let Some(account) = store.account_by_id(account_id).await? else { return Ok(None) };
    if account.disconnected_at.is_some() {
        return Ok(Some(account));
    }
    let next = account.disconnected(now);
    store.commit(&Change { accounts: vec![Write::Update(next.clone())], ..Change::default() }).await?;
    tracing::warn!(seller = %account.user_id, account = account_id, "a seller disconnected their payout account: their payouts are held");
    Ok(Some(next))
}

/// What the provider reports about connected accounts (Stripe's Connect webhook), each
/// event once: an account enabled or restricted, an account disconnected, a transfer
/// confirmed. Returns whether it was processed now (`false`: a redelivery).
pub async fn handle_account_event(
    store: &(impl PayoutStore + ChangeStore),
    gateway: &impl PayoutGateway,
    inbox: &impl Inbox,
    event: &AccountEvent,
    now: DateTime<Utc>,
) -> Result<bool> {
    let done = crate::inbox::once(inbox, ACCOUNT_EVENTS, &event.id, now, || async {
        match &event.kind {
            AccountEventKind::Updated { account, payouts_enabled } => {
                updated(store, gateway, account, *payouts_enabled, now).await.map(drop)
            }
            AccountEventKind::Deauthorized { account } => disconnected(store, account, now).await.map(drop),
            AccountEventKind::Transfer { transfer, kind } => {
                tracing::info!(transfer, kind, "the provider reports a transfer");
                Ok(())
            }
            AccountEventKind::Other { kind } => {
                tracing::info!(kind, "an account event acknowledged");
                Ok(())
            }
        }
    })
    .await?;
    Ok(done.is_some())
}

/// The inbox's consumer name of the account events.
pub const ACCOUNT_EVENTS: &str = "payouts-webhook";

/// Takes the want of an account off `order`'s payout, read again (the list it was found in
/// may be stale), and releases it if it is due; a concurrent change (a dispute, a refund)
/// reads it again.
async fn unhold(
    store: &(impl PayoutStore + ChangeStore),
    gateway: &impl PayoutGateway,
    order: &OrderId,
    now: DateTime<Utc>,
) -> Result<()> {
    for _ in 0..3 {
        let Some(payout) = store.payout(order).await? else { return Ok(()) };
        if !payout.held_for.contains(&HoldReason::NoAccount) {
            return Ok(());
        }
        let unheld = payout.unhold(HoldReason::NoAccount);
        match store.commit(&Change { payouts: vec![Write::Update(unheld.clone())], ..Change::default() }).await {
            Err(Error::Conflict(_)) => continue,
            other => other?,
        }
        if unheld.status == PayoutStatus::Scheduled && unheld.is_due(now) {
            release(store, gateway, order, now).await?;
        }
        return Ok(());
    }
    Err(Error::Internal(anyhow::anyhow!("taking the hold off the payout of {order} kept conflicting")))
}

/// Takes the want of an account off `seller`'s held payouts, and releases those due.
async fn release_held(
    store: &(impl PayoutStore + ChangeStore),
    gateway: &impl PayoutGateway,
    seller: &UserId,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut page = PageRequest::first(crate::page::MAX_LIMIT);
    loop {
        let found = store.payouts(seller, &page).await?;
        for payout in found.items.iter().filter(|payout| payout.held_for.contains(&HoldReason::NoAccount)) {
            unhold(store, gateway, &payout.order_id, now).instrument(crate::story::of(&payout.order_id)).await?;
        }
        match found.next {
            Some(next) => page.after = Some(next),
            None => return Ok(()),
        }
    }
}
