//! Commits a domain [`Change`] as one `TransactWriteItems`: each record put (or deleted)
//! on the condition that the stored version is the one expected, and its events put in the
//! outbox as one item. A failed condition anywhere cancels the whole transaction: a conflict. A
//! transaction cancelled because another one was writing the same items at that moment
//! (`TransactionConflict`) is tried again after a jittered backoff, and is a conflict only
//! when that keeps happening. Every transaction carries a `ClientRequestToken` derived from
//! its change, so an SDK retry of one that already committed succeeds instead of failing
//! on its own writes.

use anyhow::Context;
use aws_sdk_dynamodb::Client;
use std::hash::{BuildHasher, Hash, Hasher};

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{CancellationReason, Delete, Put, TransactWriteItem};
use domain::change::{Change, Record, STALE, Write};
use domain::ports::ChangeStore;
use domain::{Error, Result};

use super::orders::DynamoOrders;
use super::outbox::Outbox;
use super::payments::DynamoPayments;
use super::payouts::DynamoPayouts;
use super::table::{Item, encode, n, s};
use super::tickets::DynamoTickets;
use crate::resources::{OrdersTable, OutboxTable, PaymentsTable, PayoutsTable, TicketsTable};

/// The tables a function's changes write: the outbox (unless its changes never announce
/// anything), and those of the records it changes. A change touching a table the function
/// was not given is an internal error.
#[derive(Clone)]
pub struct DynamoChanges {
    client: Client,
    outbox: Option<Outbox>,
    tickets: Option<String>,
    orders: Option<String>,
    payments: Option<String>,
    payouts: Option<String>,
}

impl DynamoChanges {
    pub fn new(client: Client, outbox: &OutboxTable) -> Self {
        Self { outbox: Some(Outbox::new(outbox)), ..Self::announcing_nothing(client) }
    }

    /// For a function whose changes announce no event: no outbox.
    pub fn announcing_nothing(client: Client) -> Self {
        Self { client, outbox: None, tickets: None, orders: None, payments: None, payouts: None }
    }

    pub fn with_tickets(self, table: &TicketsTable) -> Self {
        Self { tickets: Some(table.name().to_owned()), ..self }
    }

    pub fn with_orders(self, table: &OrdersTable) -> Self {
        Self { orders: Some(table.name().to_owned()), ..self }
    }

    pub fn with_payments(self, table: &PaymentsTable) -> Self {
        Self { payments: Some(table.name().to_owned()), ..self }
    }

    pub fn with_payouts(self, table: &PayoutsTable) -> Self {
        Self { payouts: Some(table.name().to_owned()), ..self }
    }

    fn items(&self, change: &Change) -> Result<Vec<TransactWriteItem>> {
        let mut items = Vec::new();
        for write in &change.tickets {
            let table = table(&self.tickets, TicketsTable::VARIABLE)?;
            items.push(conditional(
                table,
                (DynamoTickets::KEY, write.record().key().to_owned()),
                write,
                DynamoTickets::item,
            )?);
        }
        for write in &change.orders {
            let table = table(&self.orders, OrdersTable::VARIABLE)?;
            items.push(conditional(
                table,
                (DynamoOrders::KEY, write.record().key().to_owned()),
                write,
                DynamoOrders::item,
            )?);
        }
        for write in &change.payments {
            let table = table(&self.payments, PaymentsTable::VARIABLE)?;
            let item = |payment: &_| encode(payment, "a payment");
            items.push(conditional(table, (DynamoPayments::KEY, write.record().key().to_owned()), write, item)?);
        }
        for write in &change.holds {
            let table = table(&self.orders, OrdersTable::VARIABLE)?;
            let key = DynamoOrders::holds_key(write.record().key());
            items.push(conditional(table, (DynamoOrders::KEY, key), write, DynamoOrders::holds_item)?);
        }
        for write in &change.payouts {
            let table = table(&self.payouts, PayoutsTable::VARIABLE)?;
            let key = (DynamoPayouts::KEY, write.record().key().to_owned());
            items.push(conditional(table, key, write, DynamoPayouts::item)?);
        }
        for write in &change.accounts {
            let table = table(&self.payouts, PayoutsTable::VARIABLE)?;
            let key = (DynamoPayouts::KEY, DynamoPayouts::account_key(write.record().key()));
            items.push(conditional(table, key, write, DynamoPayouts::account_item)?);
        }
        if !change.events.is_empty() {
            let outbox = self.outbox.as_ref().ok_or_else(|| {
                Error::Internal(anyhow::anyhow!("a change announces events, and this function was given no outbox"))
            })?;
            items.push(outbox.put(&change.events)?);
        }
        Ok(items)
    }
}

fn table<'a>(table: &'a Option<String>, variable: &'static str) -> Result<&'a str> {
    table.as_deref().ok_or_else(|| {
        Error::Internal(anyhow::anyhow!("a change writes {variable}, which this function was not given"))
    })
}

/// A put (or delete) of one record, keyed `key` (attribute and value), on the condition its
/// `write` states.
fn conditional<T: Record>(
    table: &str,
    (key, value): (&str, String),
    write: &Write<T>,
    item: impl Fn(&T) -> Result<Item>,
) -> Result<TransactWriteItem> {
    let Some(record) = write.stored() else {
        let delete = Delete::builder()
            .table_name(table)
            .key(key, s(value))
            .condition_expression("version = :expected")
            .expression_attribute_values(":expected", n(write.record().version()))
            .build()
            .context("building a delete")?;
        return Ok(TransactWriteItem::builder().delete(delete).build());
    };
    let put = Put::builder().table_name(table).set_item(Some(item(record)?));
    let put = match write.expected() {
        None => put.condition_expression("attribute_not_exists(#key)").expression_attribute_names("#key", key),
        Some(version) => {
            put.condition_expression("version = :expected").expression_attribute_values(":expected", n(version))
        }
    };
    Ok(TransactWriteItem::builder().put(put.build().context("building a put")?).build())
}

/// How often a transaction cancelled by a concurrent one is tried in all.
const ATTEMPTS: u32 = 4;

const CHANGED: Error = Error::Conflict(STALE);

/// The idempotency token of `change`'s transaction: the same for the same change (its
/// events' ids are unique, and its writes' keys and versions), at most 36 characters.
pub fn client_request_token(change: &Change) -> String {
    let mut hasher = std::hash::DefaultHasher::new();
    for event in &change.events {
        event.id.hash(&mut hasher);
    }
    fn writes<T: Record>(writes: &[Write<T>], hasher: &mut std::hash::DefaultHasher) {
        for write in writes {
            (write.record().key(), write.record().version(), write.stored().is_some()).hash(hasher);
        }
    }
    writes(&change.tickets, &mut hasher);
    writes(&change.orders, &mut hasher);
    writes(&change.payments, &mut hasher);
    writes(&change.holds, &mut hasher);
    writes(&change.payouts, &mut hasher);
    writes(&change.accounts, &mut hasher);
    let first = hasher.finish();
    first.hash(&mut hasher);
    format!("c-{first:016x}{:016x}", hasher.finish())
}

/// Why DynamoDB cancelled a transaction, as far as what to do next goes.
enum Cancelled {
    /// A condition failed: the reasons, in the items' order (with the item in the way, for
    /// a write that asked for it).
    Condition(Vec<CancellationReason>),
    /// Another transaction was writing the same items: try again.
    Conflict,
}

fn cancelled(error: &TransactWriteItemsError) -> Option<Cancelled> {
    match error {
        TransactWriteItemsError::TransactionCanceledException(cancelled) => {
            let reasons = cancelled.cancellation_reasons();
            let coded = |code| reasons.iter().any(|reason| reason.code() == Some(code));
            if coded("ConditionalCheckFailed") {
                Some(Cancelled::Condition(reasons.to_vec()))
            } else if coded("TransactionConflict") {
                Some(Cancelled::Conflict)
            } else {
                None
            }
        }
        // The same token's transaction is still being applied.
        TransactWriteItemsError::TransactionInProgressException(_) => Some(Cancelled::Conflict),
        _ => None,
    }
}

/// How a transaction ended, short of an unexpected error.
pub(super) enum Transacted {
    Committed,
    /// A condition failed: the cancellation reasons, in the items' order.
    ConditionFailed(Vec<CancellationReason>),
    /// Cancelled by concurrent transactions every time it was tried.
    KeptConflicting,
}

/// Sends `items` as one `TransactWriteItems` under `token` (so that an SDK retry of one that
/// committed succeeds), trying again after a jittered backoff while concurrent transactions
/// cancel it, [`ATTEMPTS`] times in all. `what` names it in an unexpected error.
pub(super) async fn transact(
    client: &Client,
    items: &[TransactWriteItem],
    token: &str,
    what: &'static str,
) -> Result<Transacted> {
    for attempt in 1..=ATTEMPTS {
        let outcome = client
            .transact_write_items()
            .set_transact_items(Some(items.to_vec()))
            .client_request_token(token)
            .send()
            .await;
        let error = match outcome {
            Ok(_) => return Ok(Transacted::Committed),
            Err(error) => error,
        };
        match error.as_service_error().and_then(cancelled) {
            Some(Cancelled::Condition(reasons)) => return Ok(Transacted::ConditionFailed(reasons)),
            Some(Cancelled::Conflict) if attempt < ATTEMPTS => {
                tracing::warn!(attempt, "a transaction was cancelled by a concurrent one; trying again");
                tokio::time::sleep(backoff(attempt)).await;
            }
            Some(Cancelled::Conflict) => break,
            None => return Err(Error::Internal(anyhow::Error::new(error).context(what))),
        }
    }
    Ok(Transacted::KeptConflicting)
}

/// 25 ms doubled each attempt, half of it random.
fn backoff(attempt: u32) -> std::time::Duration {
    let base = 25u64 << attempt.min(6);
    let random = std::collections::hash_map::RandomState::new().build_hasher().finish();
    std::time::Duration::from_millis(base / 2 + random % (base / 2 + 1))
}

impl ChangeStore for DynamoChanges {
    async fn commit(&self, change: &Change) -> Result<()> {
        let items = self.items(change)?;
        if items.is_empty() {
            return Ok(());
        }
        match transact(&self.client, &items, &client_request_token(change), "committing a change").await? {
            Transacted::Committed => Ok(()),
            Transacted::ConditionFailed(_) | Transacted::KeptConflicting => Err(CHANGED),
        }
    }
}
