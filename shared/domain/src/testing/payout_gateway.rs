//! Every `PayoutGateway`: one payout account per seller; a transfer once per order, only to
//! an account that can receive it; a reversal once per key, taking back all it asks for or,
//! when the account cannot cover it, nothing (the platform's loss).

use std::future::Future;

use crate::entities::{Reversal, TransferRequest};
use crate::error::Result;
use crate::ids::{OrderId, UserId};
use crate::money::Money;
use crate::ports::PayoutGateway;

/// What a suite needs of a gateway beyond the port: the provider's side of things.
pub trait PayoutHarness: Send + Sync {
    /// A PaymentIntent charged `amount` (minor units): a transfer's source.
    fn charged(&self, amount: i64) -> impl Future<Output = String> + Send;
    /// The seller finishes onboarding `account`.
    fn onboard(&self, account: &str) -> impl Future<Output = ()> + Send;
    /// The seller's bank payout takes `amount` out of `account`.
    fn withdraw(&self, account: &str, amount: Money) -> impl Future<Output = ()> + Send;
}

fn seller() -> UserId {
    UserId::from(ulid::Ulid::new().to_string().as_str())
}

pub async fn an_account_is_created_once_per_seller_and_enabled_by_onboarding(
    gateway: impl PayoutGateway,
    provider: impl PayoutHarness,
) {
    let seller = seller();
    let account = gateway.create_account(&seller).await.unwrap();
    assert_eq!(gateway.create_account(&seller).await.unwrap(), account, "one per seller");
    assert_ne!(gateway.create_account(&UserId::from("someone else")).await.unwrap(), account);
    assert!(!gateway.account(&account).await.unwrap().payouts_enabled, "not before onboarding");
    let link =
        gateway.onboarding_link(&account, "https://example.com/payouts", "https://example.com/payouts?refresh=1");
    assert!(link.await.unwrap().starts_with("http"), "an address to send the seller to");
    provider.onboard(&account).await;
    assert!(gateway.account(&account).await.unwrap().payouts_enabled);
    assert!(!gateway.dashboard_link(&account).await.unwrap().is_empty());
}

async fn onboarded(gateway: &impl PayoutGateway, provider: &impl PayoutHarness) -> String {
    let account = gateway.create_account(&seller()).await.unwrap();
    provider.onboard(&account).await;
    account
}

fn transfer<'a>(order: &'a str, account: &'a str, source: &'a str, amount: i64) -> TransferRequest<'a> {
    TransferRequest { order, account, amount: Money::from_minor(amount), currency: "usd", source }
}

pub async fn a_transfer_is_made_once_per_order_and_only_to_an_enabled_account(
    gateway: impl PayoutGateway,
    provider: impl PayoutHarness,
) {
    let source = provider.charged(4500).await;
    let order = OrderId::generate().to_string();
    let pending = gateway.create_account(&seller()).await.unwrap();
    assert!(gateway.transfer(&transfer(&order, &pending, &source, 4225)).await.is_err(), "not before onboarding");
    assert_eq!(gateway.transfer_of(&order).await.unwrap(), None);

    let account = onboarded(&gateway, &provider).await;
    let made = gateway.transfer(&transfer(&order, &account, &source, 4225)).await.unwrap();
    assert_eq!(gateway.transfer(&transfer(&order, &account, &source, 4225)).await.unwrap(), made, "once per order");
    assert_eq!(gateway.transfer_of(&order).await.unwrap(), Some(made));
    assert_eq!(gateway.transfer_of(&OrderId::generate().to_string()).await.unwrap(), None);
    let other = OrderId::generate().to_string();
    assert!(gateway.transfer(&transfer(&other, &account, &source, 4501)).await.is_err(), "no more than its charge");
}

pub async fn a_reversal_is_made_once_per_key_and_takes_back_nothing_the_account_cannot_cover(
    gateway: impl PayoutGateway,
    provider: impl PayoutHarness,
) -> Result<()> {
    let source = provider.charged(4500).await;
    let account = onboarded(&gateway, &provider).await;
    let order = OrderId::generate().to_string();
    let made = gateway.transfer(&transfer(&order, &account, &source, 4000)).await?;

    let first = gateway.reverse(&made, Money::from_minor(1000), &format!("{order}-reversal-0")).await?;
    assert_eq!(first.amount, Money::from_minor(1000));
    let again = gateway.reverse(&made, Money::from_minor(1000), &format!("{order}-reversal-0")).await?;
    assert_eq!(again, first, "once per key");

    provider.withdraw(&account, Money::from_minor(2500)).await;
    let short = gateway.reverse(&made, Money::from_minor(1000), &format!("{order}-reversal-1")).await?;
    assert_eq!(short.amount, Money::ZERO, "the account holds 5.00 of it: nothing is taken back");
    let replayed = gateway.reverse(&made, Money::from_minor(1000), &format!("{order}-reversal-1")).await?;
    assert_eq!(replayed.amount, Money::ZERO, "the same answer for the same key");
    let covered = gateway.reverse(&made, Money::from_minor(500), &format!("{order}-reversal-2")).await?;
    assert_eq!(covered.amount, Money::from_minor(500));
    let all: Vec<Reversal> = gateway.reversals_of(&made).await?;
    assert_eq!(all, [first, covered], "what was taken back, oldest first");
    Ok(())
}
