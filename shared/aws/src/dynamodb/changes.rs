//! Commits a domain [`Change`] as one `TransactWriteItems`: each record put (or deleted)
//! on the condition that the stored version is the one expected, and each event put in the
//! outbox. A failed condition anywhere cancels the whole transaction: a conflict.

use anyhow::Context;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};
use domain::change::{Change, Record, Write};
use domain::ports::ChangeStore;
use domain::{Error, Result};

use super::orders::DynamoOrders;
use super::outbox::Outbox;
use super::payments::DynamoPayments;
use super::table::{Item, encode, n, s};
use super::tickets::DynamoTickets;
use crate::resources::{OrdersTable, OutboxTable, PaymentsTable, TicketsTable};

/// The tables a function's changes write: always the outbox, and those of the records it
/// changes. A change touching a table the function was not given is an internal error.
#[derive(Clone)]
pub struct DynamoChanges {
    client: Client,
    outbox: Outbox,
    tickets: Option<String>,
    orders: Option<String>,
    payments: Option<String>,
}

impl DynamoChanges {
    pub fn new(client: Client, outbox: &OutboxTable) -> Self {
        Self { client, outbox: Outbox::new(outbox), tickets: None, orders: None, payments: None }
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

    fn items(&self, change: &Change) -> Result<Vec<TransactWriteItem>> {
        let mut items = Vec::new();
        for write in &change.tickets {
            let table = table(&self.tickets, TicketsTable::VARIABLE)?;
            items.push(conditional(table, DynamoTickets::KEY, write, DynamoTickets::item)?);
        }
        for write in &change.orders {
            let table = table(&self.orders, OrdersTable::VARIABLE)?;
            items.push(conditional(table, DynamoOrders::KEY, write, DynamoOrders::item)?);
        }
        for write in &change.payments {
            let table = table(&self.payments, PaymentsTable::VARIABLE)?;
            items.push(conditional(table, DynamoPayments::KEY, write, |payment| encode(payment, "a payment"))?);
        }
        for event in &change.events {
            items.push(self.outbox.put(event)?);
        }
        Ok(items)
    }
}

fn table<'a>(table: &'a Option<String>, variable: &'static str) -> Result<&'a str> {
    table.as_deref().ok_or_else(|| {
        Error::Internal(anyhow::anyhow!("a change writes {variable}, which this function was not given"))
    })
}

/// A put (or delete) of one record on the condition its `write` states.
fn conditional<T: Record>(
    table: &str,
    key: &str,
    write: &Write<T>,
    item: impl Fn(&T) -> Result<Item>,
) -> Result<TransactWriteItem> {
    let Some(record) = write.stored() else {
        let delete = Delete::builder()
            .table_name(table)
            .key(key, s(write.record().key()))
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

impl ChangeStore for DynamoChanges {
    async fn commit(&self, change: &Change) -> Result<()> {
        let items = self.items(change)?;
        if items.is_empty() {
            return Ok(());
        }
        let outcome = self.client.transact_write_items().set_transact_items(Some(items)).send().await;
        match outcome {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), TransactWriteItemsError::TransactionCanceledException(cancelled)
                    if cancelled.cancellation_reasons().iter().any(|r| r.code() == Some("ConditionalCheckFailed"))) =>
            {
                Err(Error::Conflict("Changed by another request"))
            }
            Err(e) => Err(Error::Internal(anyhow::Error::new(e).context("committing a change"))),
        }
    }
}
