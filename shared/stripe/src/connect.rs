//! Stripe Connect behind the payout port: Express accounts (one per seller, created with a
//! key derived from the seller), hosted onboarding through Account Links, login links to the
//! Express dashboard, and separate transfers (from the buyer's charge, grouped by order) and
//! their reversals, each with its idempotency key. Requests are written by hand and their
//! answers read into the few fields used, as for payments.

use serde::Serialize;
use stripe::StripeError;
use stripe_client_core::{RequestBuilder, StripeMethod};

use domain::entities::{AccountState, Reversal, TransferRequest};
use domain::ids::UserId;
use domain::money::Money;
use domain::ports::PayoutGateway;
use domain::{Error, Result};

use crate::gateway::{StripeGateway, idempotent};

fn failed(doing: &str) -> impl FnOnce(StripeError) -> Error + '_ {
    move |error| Error::Internal(anyhow::anyhow!("{doing}: {error}"))
}

#[derive(Serialize)]
struct CreateAccount<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "metadata[user_id]")]
    user_id: &'a str,
}

#[derive(miniserde::Deserialize)]
struct AccountFields {
    id: String,
    payouts_enabled: Option<bool>,
}

#[derive(Serialize)]
struct CreateAccountLink<'a> {
    account: &'a str,
    refresh_url: &'a str,
    return_url: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(miniserde::Deserialize)]
struct Link {
    url: String,
}

#[derive(Serialize)]
struct CreateTransfer<'a> {
    amount: i64,
    currency: &'a str,
    destination: &'a str,
    transfer_group: &'a str,
    source_transaction: &'a str,
}

#[derive(Serialize)]
struct TransfersOf<'a> {
    transfer_group: &'a str,
    limit: u8,
}

#[derive(Serialize)]
struct CreateReversal {
    amount: i64,
}

#[derive(Serialize)]
struct Listed {
    limit: u8,
}

#[derive(miniserde::Deserialize)]
struct Identified {
    id: String,
}

#[derive(miniserde::Deserialize)]
struct IdentifiedList {
    data: Vec<Identified>,
}

#[derive(miniserde::Deserialize)]
struct ReversalFields {
    id: String,
    amount: i64,
}

#[derive(miniserde::Deserialize)]
struct ReversalList {
    data: Vec<ReversalFields>,
}

#[derive(miniserde::Deserialize)]
struct ChargeOf {
    latest_charge: Option<String>,
}

/// No parameters.
#[derive(Serialize)]
struct Empty {}

fn account_key(seller: &UserId) -> String {
    format!("account-{seller}")
}

impl PayoutGateway for StripeGateway {
    async fn create_account(&self, seller: &UserId) -> Result<String> {
        let account = RequestBuilder::new(StripeMethod::Post, "/accounts")
            .form(&CreateAccount { kind: "express", user_id: seller.as_str() })
            .customize::<AccountFields>()
            .request_strategy(idempotent(account_key(seller))?)
            .send(self.client())
            .await
            .map_err(failed("creating a connected account"))?;
        Ok(account.id)
    }

    async fn account(&self, account: &str) -> Result<AccountState> {
        let found = RequestBuilder::new(StripeMethod::Get, format!("/accounts/{account}"))
            .customize::<AccountFields>()
            .send(self.client())
            .await
            .map_err(failed("reading a connected account"))?;
        Ok(AccountState { payouts_enabled: found.payouts_enabled.unwrap_or(false) })
    }

    async fn onboarding_link(&self, account: &str, return_url: &str, refresh_url: &str) -> Result<String> {
        let form = CreateAccountLink { account, refresh_url, return_url, kind: "account_onboarding" };
        let link = RequestBuilder::new(StripeMethod::Post, "/account_links")
            .form(&form)
            .customize::<Link>()
            .send(self.client())
            .await
            .map_err(failed("creating an account link"))?;
        Ok(link.url)
    }

    async fn dashboard_link(&self, account: &str) -> Result<String> {
        let link = RequestBuilder::new(StripeMethod::Post, format!("/accounts/{account}/login_links"))
            .form(&Empty {})
            .customize::<Link>()
            .send(self.client())
            .await
            .map_err(failed("creating a login link"))?;
        Ok(link.url)
    }

    async fn transfer(&self, request: &TransferRequest<'_>) -> Result<String> {
        // From the buyer's charge, so that it never waits for the platform's balance.
        let intent = RequestBuilder::new(StripeMethod::Get, format!("/payment_intents/{}", request.source))
            .customize::<ChargeOf>()
            .send(self.client())
            .await
            .map_err(failed("reading a transfer's charge"))?;
        let charge = intent
            .latest_charge
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("{} has no charge to transfer from", request.source)))?;
        let form = CreateTransfer {
            amount: request.amount.minor(),
            currency: request.currency,
            destination: request.account,
            transfer_group: request.order,
            source_transaction: &charge,
        };
        let transfer = RequestBuilder::new(StripeMethod::Post, "/transfers")
            .form(&form)
            .customize::<Identified>()
            .request_strategy(idempotent(request.key())?)
            .send(self.client())
            .await
            .map_err(failed("transferring a payout"))?;
        Ok(transfer.id)
    }

    async fn transfer_of(&self, order: &str) -> Result<Option<String>> {
        let transfers = RequestBuilder::new(StripeMethod::Get, "/transfers")
            .query(&TransfersOf { transfer_group: order, limit: 1 })
            .customize::<IdentifiedList>()
            .send(self.client())
            .await
            .map_err(failed("listing an order's transfers"))?;
        Ok(transfers.data.into_iter().next().map(|transfer| transfer.id))
    }

    async fn reverse(&self, transfer: &str, amount: Money, key: &str) -> Result<Reversal> {
        let reversal = RequestBuilder::new(StripeMethod::Post, format!("/transfers/{transfer}/reversals"))
            .form(&CreateReversal { amount: amount.minor() })
            .customize::<ReversalFields>()
            .request_strategy(idempotent(key.to_owned())?)
            .send(self.client())
            .await;
        match reversal {
            Ok(reversal) => Ok(Reversal { id: reversal.id, amount: Money::from_minor(reversal.amount) }),
            // The connected account cannot cover it: nothing was taken back.
            Err(StripeError::Stripe(api, 400))
                if api.code.as_ref().is_some_and(|c| c.as_str() == "balance_insufficient") =>
            {
                Ok(Reversal { id: key.to_owned(), amount: Money::ZERO })
            }
            Err(other) => Err(failed("reversing a transfer")(other)),
        }
    }

    async fn reversals_of(&self, transfer: &str) -> Result<Vec<Reversal>> {
        let reversals = RequestBuilder::new(StripeMethod::Get, format!("/transfers/{transfer}/reversals"))
            .query(&Listed { limit: 100 })
            .customize::<ReversalList>()
            .send(self.client())
            .await
            .map_err(failed("listing a transfer's reversals"))?;
        // Stripe lists newest first.
        let mut all: Vec<Reversal> = reversals
            .data
            .into_iter()
            .map(|reversal| Reversal { id: reversal.id, amount: Money::from_minor(reversal.amount) })
            .collect();
        all.reverse();
        Ok(all)
    }
}
