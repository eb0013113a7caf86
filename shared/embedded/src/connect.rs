//! The test gateway's payout side, as Stripe Connect behaves: one payout account per seller
//! (created with a key derived from the seller), onboarded on the runner's stand-in page;
//! transfers from a succeeded charge to an onboarded account, once per key; reversals that
//! take back what the account still holds. Its accounts and transfers live in the embedded
//! store, with the gateway's idempotency keys.

use domain::entities::{AccountState, IntentStatus, Reversal, TransferRequest};
use domain::ids::UserId;
use domain::money::Money;
use domain::ports::PayoutGateway;
use domain::{Error, Result};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::gateway::TestGateway;
use crate::store::{Table, decode, encode, open_readable, storage};

/// Accounts and transfers, by id.
const CONNECT: Table = TableDefinition::new("gateway_connect");
/// The same keys as the payment side's.
const KEYS: Table = TableDefinition::new("gateway_keys");
const INTENTS: Table = TableDefinition::new("gateway_intents");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestAccount {
    pub id: String,
    pub seller: String,
    /// Onboarding finished: payouts can reach it.
    pub onboarded: bool,
    /// What it holds: transferred, less reversed, less paid out to the seller's bank.
    pub balance: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestTransfer {
    pub id: String,
    /// The transfer group: the order.
    pub order: String,
    pub account: String,
    pub amount: Money,
    pub source: String,
    pub reversals: Vec<(String, Money)>,
}

type Written<'a> = redb::Table<'a, &'static str, &'static [u8]>;

fn get<T: serde::de::DeserializeOwned>(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &str,
) -> Result<Option<T>> {
    table.get(key).map_err(storage)?.map(|record| decode(record.value())).transpose()
}

fn put<T: Serialize>(table: &mut Written<'_>, key: &str, value: &T) -> Result<()> {
    table.insert(key, encode(value)?.as_slice()).map_err(storage)?;
    Ok(())
}

fn no_such(what: &str, id: &str) -> Error {
    Error::Internal(anyhow::anyhow!("no such {what}: {id}"))
}

impl TestGateway {
    fn connect<T>(
        &self,
        work: impl FnOnce(&mut Written<'_>, &mut Written<'_>, &Written<'_>) -> Result<T>,
    ) -> Result<T> {
        let txn = self.database().begin_write().map_err(storage)?;
        let value = {
            let mut objects = txn.open_table(CONNECT).map_err(storage)?;
            let mut keys = txn.open_table(KEYS).map_err(storage)?;
            let intents = txn.open_table(INTENTS).map_err(storage)?;
            work(&mut objects, &mut keys, &intents)?
        };
        txn.commit().map_err(storage)?;
        Ok(value)
    }

    fn object<T: serde::de::DeserializeOwned>(&self, id: &str) -> Result<Option<T>> {
        let txn = self.database().begin_read().map_err(storage)?;
        match open_readable(&txn, CONNECT)? {
            Some(objects) => get(&objects, id),
            None => Ok(None),
        }
    }

    fn key_of(&self, key: &str) -> Result<Option<String>> {
        let txn = self.database().begin_read().map_err(storage)?;
        match open_readable(&txn, KEYS)? {
            Some(keys) => get(&keys, key),
            None => Ok(None),
        }
    }

    /// What the seller does on the stand-in onboarding page: the account can now receive
    /// payouts.
    pub fn complete_onboarding(&self, account: &str) -> Result<TestAccount> {
        self.connect(|objects, _, _| {
            let mut found: TestAccount = get(objects, account)?.ok_or(Error::NotFound("No such account"))?;
            found.onboarded = true;
            put(objects, account, &found)?;
            Ok(found)
        })
    }

    /// What the seller's own bank payout does: `amount` leaves the account's balance.
    pub fn withdraw(&self, account: &str, amount: Money) -> Result<TestAccount> {
        self.connect(|objects, _, _| {
            let mut found: TestAccount = get(objects, account)?.ok_or_else(|| no_such("account", account))?;
            found.balance = Money::from_minor(found.balance.minor() - amount.minor().min(found.balance.minor()));
            put(objects, account, &found)?;
            Ok(found)
        })
    }

    /// The account `id`, as the provider's dashboard shows it.
    pub fn test_account(&self, id: &str) -> Result<Option<TestAccount>> {
        self.object(id)
    }

    /// Every transfer: what a look at the provider's dashboard would show.
    pub fn transfers(&self) -> Vec<TestTransfer> {
        let read = || -> Result<Vec<TestTransfer>> {
            let txn = self.database().begin_read().map_err(storage)?;
            let Some(objects) = open_readable(&txn, CONNECT)? else { return Ok(Vec::new()) };
            let mut transfers = Vec::new();
            for entry in objects.iter().map_err(storage)? {
                let (id, record) = entry.map_err(storage)?;
                if id.value().starts_with("tr_") {
                    transfers.push(decode(record.value())?);
                }
            }
            Ok(transfers)
        };
        read().unwrap_or_default()
    }
}

/// `value` as a query parameter: every byte but the unreserved ones percent-encoded.
fn percent_encoded(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (byte as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn account_key(seller: &UserId) -> String {
    format!("account-{seller}")
}

fn group_key(order: &str) -> String {
    format!("transfer-group-{order}")
}

impl PayoutGateway for TestGateway {
    async fn create_account(&self, seller: &UserId) -> Result<String> {
        self.connect(|objects, keys, _| {
            let key = account_key(seller);
            if let Some(id) = get::<String>(keys, &key)? {
                return Ok(id);
            }
            let id = format!("acct_test_{}", ulid::Ulid::new());
            let account =
                TestAccount { id: id.clone(), seller: seller.to_string(), onboarded: false, balance: Money::ZERO };
            put(objects, &id, &account)?;
            put(keys, &key, &id)?;
            Ok(id)
        })
    }

    async fn account(&self, account: &str) -> Result<AccountState> {
        let found: TestAccount = self.object(account)?.ok_or_else(|| no_such("account", account))?;
        Ok(AccountState { payouts_enabled: found.onboarded })
    }

    async fn onboarding_link(&self, account: &str, return_url: &str, refresh_url: &str) -> Result<String> {
        self.object::<TestAccount>(account)?.ok_or_else(|| no_such("account", account))?;
        // The runner's stand-in page, on the origin the seller returns to.
        let origin = return_url.split_once("://").map_or("", |(scheme, rest)| {
            let host = rest.split('/').next().unwrap_or_default();
            &return_url[..scheme.len() + 3 + host.len()]
        });
        Ok(format!(
            "{origin}/_local/test-gateway/onboarding?account={account}&return={}&refresh={}",
            percent_encoded(return_url),
            percent_encoded(refresh_url)
        ))
    }

    async fn dashboard_link(&self, account: &str) -> Result<String> {
        self.object::<TestAccount>(account)?.ok_or_else(|| no_such("account", account))?;
        Ok(format!("/_local/test-gateway/accounts/{account}"))
    }

    async fn transfer(&self, request: &TransferRequest<'_>) -> Result<String> {
        self.connect(|objects, keys, intents| {
            if let Some(id) = get::<String>(keys, &request.key())? {
                return Ok(id);
            }
            let mut account: TestAccount =
                get(objects, request.account)?.ok_or_else(|| no_such("account", request.account))?;
            if !account.onboarded {
                return Err(Error::Internal(anyhow::anyhow!("account {} cannot receive transfers yet", account.id)));
            }
            let intent: domain::entities::Intent =
                get(intents, request.source)?.ok_or_else(|| no_such("payment_intent", request.source))?;
            if intent.status != IntentStatus::Succeeded || request.amount.minor() > intent.amount {
                return Err(Error::Internal(anyhow::anyhow!("{} cannot fund {}", request.source, request.amount)));
            }
            let id = format!("tr_test_{}", ulid::Ulid::new());
            let transfer = TestTransfer {
                id: id.clone(),
                order: request.order.to_owned(),
                account: account.id.clone(),
                amount: request.amount,
                source: request.source.to_owned(),
                reversals: Vec::new(),
            };
            account.balance = Money::from_minor(account.balance.minor() + request.amount.minor());
            put(objects, &id, &transfer)?;
            put(objects, &account.id.clone(), &account)?;
            put(keys, &request.key(), &id)?;
            put(keys, &group_key(request.order), &id)?;
            Ok(id)
        })
    }

    async fn transfer_of(&self, order: &str) -> Result<Option<String>> {
        self.key_of(&group_key(order))
    }

    async fn reverse(&self, transfer: &str, amount: Money, key: &str) -> Result<Reversal> {
        self.connect(|objects, keys, _| {
            let mut found: TestTransfer = get(objects, transfer)?.ok_or_else(|| no_such("transfer", transfer))?;
            if let Some(id) = get::<String>(keys, key)? {
                // The first answer again: the reversal, or nothing taken back.
                let known = found.reversals.iter().find(|(known, _)| *known == id).cloned();
                let (id, amount) = known.unwrap_or((key.to_owned(), Money::ZERO));
                return Ok(Reversal { id, amount });
            }
            let mut account: TestAccount =
                get(objects, &found.account)?.ok_or_else(|| no_such("account", &found.account))?;
            let reversed: i64 = found.reversals.iter().map(|(_, amount)| amount.minor()).sum();
            if amount.minor() > found.amount.minor() - reversed || amount.minor() <= 0 {
                return Err(Error::Internal(anyhow::anyhow!("{transfer} cannot be reversed by {amount}")));
            }
            if amount > account.balance {
                // As Stripe answers `balance_insufficient`: nothing is taken back.
                put(keys, key, &String::new())?;
                return Ok(Reversal { id: key.to_owned(), amount: Money::ZERO });
            }
            let id = format!("trr_test_{}", ulid::Ulid::new());
            found.reversals.push((id.clone(), amount));
            account.balance = Money::from_minor(account.balance.minor() - amount.minor());
            put(objects, transfer, &found)?;
            put(objects, &account.id.clone(), &account)?;
            put(keys, key, &id)?;
            Ok(Reversal { id, amount })
        })
    }

    async fn reversals_of(&self, transfer: &str) -> Result<Vec<Reversal>> {
        let found: TestTransfer = self.object(transfer)?.ok_or_else(|| no_such("transfer", transfer))?;
        Ok(found.reversals.into_iter().map(|(id, amount)| Reversal { id, amount }).collect())
    }
}
