//! Stripe Connect behind the payout port: Express accounts (one per seller, created with a
//! key derived from the seller), hosted onboarding through Account Links, login links to the
//! Express dashboard, and separate transfers (from the buyer's charge, grouped by order) and
//! their reversals, each with its idempotency key. Requests are built with async-stripe's
//! Connect request builders (generated from Stripe's API description); their answers are
//! read into the few fields used, as for payments, so that the typed objects' decoders stay
//! out of the functions.

use std::str::FromStr;

use stripe_client_core::{RequestBuilder, StripeMethod, StripeRequest};
use stripe_connect::account::{CreateAccount, CreateAccountType, RetrieveAccount};
use stripe_connect::account_link::{CreateAccountLink, CreateAccountLinkType};
use stripe_connect::login_link::CreateAccountLoginLink;
use stripe_connect::transfer::{CreateTransfer, ListTransfer};
use stripe_connect::transfer_reversal::{CreateIdTransferReversal, ListIdTransferReversal};

use domain::entities::{AccountState, Reversal, TransferRequest};
use domain::ids::UserId;
use domain::money::Money;
use domain::ports::PayoutGateway;
use domain::{Error, Result};

use crate::gateway::{StripeGateway, idempotent};
use crate::transport::StripeFailure;

fn failed(doing: &str) -> impl FnOnce(StripeFailure) -> Error + '_ {
    move |error| Error::Internal(anyhow::Error::new(error).context(doing.to_owned()))
}

#[derive(miniserde::Deserialize)]
struct AccountFields {
    id: String,
    payouts_enabled: Option<bool>,
}

#[derive(miniserde::Deserialize)]
struct Link {
    url: String,
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

fn account_key(seller: &UserId) -> String {
    format!("account-{seller}")
}

impl PayoutGateway for StripeGateway {
    async fn create_account(&self, seller: &UserId) -> Result<String> {
        let metadata =
            [("user_id".to_owned(), seller.to_string())].into_iter().collect::<std::collections::HashMap<_, _>>();
        let account = CreateAccount::new()
            .type_(CreateAccountType::Express)
            .metadata(metadata)
            .build()
            .customize::<AccountFields>()
            .request_strategy(idempotent(account_key(seller))?)
            .send(self.client())
            .await
            .map_err(failed("creating a connected account"))?;
        Ok(account.id)
    }

    async fn account(&self, account: &str) -> Result<AccountState> {
        let found = RetrieveAccount::new(account)
            .build()
            .customize::<AccountFields>()
            .send(self.client())
            .await
            .map_err(failed("reading a connected account"))?;
        Ok(AccountState { payouts_enabled: found.payouts_enabled.unwrap_or(false) })
    }

    async fn onboarding_link(&self, account: &str, return_url: &str, refresh_url: &str) -> Result<String> {
        let link = CreateAccountLink::new(account, CreateAccountLinkType::AccountOnboarding)
            .refresh_url(refresh_url)
            .return_url(return_url)
            .build()
            .customize::<Link>()
            .send(self.client())
            .await
            .map_err(failed("creating an account link"))?;
        Ok(link.url)
    }

    async fn dashboard_link(&self, account: &str) -> Result<String> {
        let link = CreateAccountLoginLink::new(account)
            .build()
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
        let currency = stripe_types::Currency::from_str(request.currency)
            .map_err(|_| Error::Internal(anyhow::anyhow!("a transfer in {:?}", request.currency)))?;
        let transfer = CreateTransfer::new(currency, request.account)
            .amount(request.amount.minor())
            .transfer_group(request.order)
            .source_transaction(charge)
            .build()
            .customize::<Identified>()
            .request_strategy(idempotent(request.key())?)
            .send(self.client())
            .await
            .map_err(failed("transferring a payout"))?;
        Ok(transfer.id)
    }

    async fn transfer_of(&self, order: &str) -> Result<Option<String>> {
        let transfers = ListTransfer::new()
            .transfer_group(order)
            .limit(1)
            .build()
            .customize::<IdentifiedList>()
            .send(self.client())
            .await
            .map_err(failed("listing an order's transfers"))?;
        Ok(transfers.data.into_iter().next().map(|transfer| transfer.id))
    }

    async fn reverse(&self, transfer: &str, amount: Money, key: &str) -> Result<Reversal> {
        let reversal = CreateIdTransferReversal::new(transfer)
            .amount(amount.minor())
            .build()
            .customize::<ReversalFields>()
            .request_strategy(idempotent(key.to_owned())?)
            .send(self.client())
            .await;
        match reversal {
            Ok(reversal) => Ok(Reversal { id: reversal.id, amount: Money::from_minor(reversal.amount) }),
            // The connected account cannot cover it: nothing was taken back.
            Err(StripeFailure::Api(api)) if api.status == 400 && api.has_code("balance_insufficient") => {
                Ok(Reversal { id: key.to_owned(), amount: Money::ZERO })
            }
            Err(other) => Err(failed("reversing a transfer")(other)),
        }
    }

    async fn reversals_of(&self, transfer: &str) -> Result<Vec<Reversal>> {
        let reversals = ListIdTransferReversal::new(transfer)
            .limit(100)
            .build()
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
