//! DynamoDB adapters. SDK types stay in this module: conditional-check failures become
//! domain conflicts here, every other SDK error an internal one.

use std::collections::HashMap;

use anyhow::Context;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::events::Event;
use crate::notifications::Notification;
use crate::orders::{Order, OrderChange, OrderId};
use crate::pagination::{Page, PageRequest};
use crate::payments::Payment;
use crate::ports::{Inbox, NotificationStore, OrderStore, TicketStore, UserStore};
use crate::tickets::{Ticket, TicketFilter, TicketId, TicketStatus};
use crate::users::{Email, User, UserId};

type Item = HashMap<String, AttributeValue>;

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// Builds a DynamoDB client from the environment (region, credentials, and
/// `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL` for a local endpoint).
pub async fn client_from_env() -> Client {
    Client::new(&aws_config::load_from_env().await)
}

/// The users table: partition key `email` (lower-cased), so the key itself makes
/// an email unique and one conditional put claims it.
#[derive(Clone)]
pub struct DynamoUserStore {
    client: Client,
    table: String,
}

impl DynamoUserStore {
    pub const KEY: &'static str = "email";

    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }
}

impl UserStore for DynamoUserStore {
    async fn insert(&self, user: &User) -> Result<()> {
        let item = serde_dynamo::to_item(user).context("encoding a user").map_err(Error::Internal)?;
        let outcome = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#email)")
            .expression_attribute_names("#email", Self::KEY)
            .send()
            .await;
        match outcome {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if matches!(e.err(), PutItemError::ConditionalCheckFailedException(_)) => {
                // A retried put whose first attempt committed finds its own item: that is success.
                match self.find_by_email(&user.email).await? {
                    Some(stored) if stored.id == user.id => Ok(()),
                    _ => Err(Error::Conflict("Email in use")),
                }
            }
            Err(e) => Err(Error::Internal(anyhow::Error::new(e).context("putting a user"))),
        }
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<User>> {
        get_consistent(&self.client, &self.table, (Self::KEY, email.as_str()), "a user").await
    }
}

/// The ticket store a tickets function works with.
pub fn ticket_store(client: Client, config: &crate::config::TicketsConfig) -> DynamoTicketStore {
    DynamoTicketStore::new(client, &config.tickets_table, Outbox::new(&config.outbox_table))
}

/// The order and ticket stores an orders function works with.
pub fn order_stores(client: Client, config: &crate::config::OrdersConfig) -> (DynamoOrderStore, DynamoTicketStore) {
    let tickets = ticket_store(client.clone(), &config.tickets);
    let tables = OrderTables {
        orders: config.orders_table.clone(),
        tickets: config.tickets.tickets_table.clone(),
        payments: config.payments_table.clone(),
        outbox: config.tickets.outbox_table.clone(),
    };
    (DynamoOrderStore::new(client, tables), tickets)
}

/// The item keyed `key` in `table`, read strongly consistent and decoded.
async fn get_consistent<T: serde::de::DeserializeOwned>(
    client: &Client,
    table: &str,
    key: (&str, &str),
    what: &'static str,
) -> Result<Option<T>> {
    let output = client
        .get_item()
        .table_name(table)
        .key(key.0, s(key.1))
        .consistent_read(true)
        .send()
        .await
        .with_context(|| format!("getting {what}"))?;
    output
        .item
        .map(|item| serde_dynamo::from_item(item).with_context(|| format!("decoding {what}")))
        .transpose()
        .map_err(Error::Internal)
}

/// Runs one `TransactWriteItems`: all items commit or none. A failed condition on any
/// item is `conflict`; anything else is internal.
async fn transact(
    client: &Client,
    items: Vec<TransactWriteItem>,
    conflict: Error,
    context: &'static str,
) -> Result<()> {
    let outcome = client.transact_write_items().set_transact_items(Some(items)).send().await;
    match outcome {
        Ok(_) => Ok(()),
        Err(SdkError::ServiceError(e))
            if matches!(e.err(), TransactWriteItemsError::TransactionCanceledException(cancelled)
                if cancelled.cancellation_reasons().iter().any(|r| r.code() == Some("ConditionalCheckFailed"))) =>
        {
            Err(conflict)
        }
        Err(e) => Err(Error::Internal(anyhow::Error::new(e).context(context))),
    }
}

/// The outbox: one table every service writes its events to, in the same transaction as
/// the change they announce. Its stream triggers the relay, which publishes them.
#[derive(Clone)]
pub struct Outbox {
    table: String,
}

/// An outbox item. It expires (DynamoDB TTL) a week after it was written.
#[derive(Debug, Serialize, Deserialize)]
pub struct OutboxRecord {
    pub id: String,
    /// The envelope, as JSON text.
    pub event: String,
    pub expires_at: i64,
}

impl Outbox {
    pub const KEY: &'static str = "id";
    const RETENTION_DAYS: i64 = 7;

    pub fn new(table: impl Into<String>) -> Self {
        Self { table: table.into() }
    }

    /// The transaction item that stores `event`.
    pub fn put(&self, event: &Event) -> Result<TransactWriteItem> {
        let record = OutboxRecord {
            id: event.id.clone(),
            event: serde_json::to_string(event).map_err(|e| Error::Internal(e.into()))?,
            expires_at: (Utc::now() + chrono::Duration::days(Self::RETENTION_DAYS)).timestamp(),
        };
        let item: Item = serde_dynamo::to_item(record).context("encoding an outbox record").map_err(Error::Internal)?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(id)")
            .build()
            .context("building an outbox put")
            .map_err(Error::Internal)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// The event in an outbox item's stream image.
    pub fn event_from_image(image: impl Into<serde_dynamo::Item>) -> Result<Event> {
        let record: OutboxRecord =
            serde_dynamo::from_item(image.into()).context("decoding an outbox record").map_err(Error::Internal)?;
        serde_json::from_str(&record.event).context("decoding an outbox event").map_err(Error::Internal)
    }
}

/// The tickets table: partition key `id`. Two global secondary indexes list tickets newest
/// first (ticket ids are ULIDs, so they sort by creation time): `available`, keyed by
/// `listing`, an attribute present only while a ticket can be bought (a sparse index), and
/// `by-seller`, keyed by `user_id`; both sorted by `id`.
#[derive(Clone)]
pub struct DynamoTicketStore {
    client: Client,
    table: String,
    outbox: Outbox,
}

impl DynamoTicketStore {
    pub const KEY: &'static str = "id";
    pub const AVAILABLE_INDEX: &'static str = "available";
    pub const SELLER_INDEX: &'static str = "by-seller";
    pub const LISTING: &'static str = "listing";
    pub const SELLER: &'static str = "user_id";
    const LISTED: &'static str = "available";
    const CHANGED: Error = Error::Conflict("Ticket was changed by another request");

    pub fn new(client: Client, table: impl Into<String>, outbox: Outbox) -> Self {
        Self { client, table: table.into(), outbox }
    }

    pub fn table_name(&self) -> &str {
        &self.table
    }

    pub(crate) fn item(ticket: &Ticket) -> Result<Item> {
        let mut item: Item = serde_dynamo::to_item(ticket).context("encoding a ticket").map_err(Error::Internal)?;
        if ticket.status == TicketStatus::Available {
            item.insert(Self::LISTING.to_owned(), s(Self::LISTED));
        }
        Ok(item)
    }

    /// Puts `ticket` if the stored version is `expected` (`None`: nothing stored), with its event.
    async fn put(&self, ticket: &Ticket, expected: Option<u64>, event: &Event) -> Result<()> {
        let items = vec![versioned_put(&self.table, Self::item(ticket)?, expected)?, self.outbox.put(event)?];
        transact(&self.client, items, Self::CHANGED, "writing a ticket").await
    }
}

impl TicketStore for DynamoTicketStore {
    async fn create(&self, ticket: &Ticket, event: &Event) -> Result<()> {
        self.put(ticket, None, event).await
    }

    async fn get(&self, id: &TicketId) -> Result<Option<Ticket>> {
        get_consistent(&self.client, &self.table, (Self::KEY, id.as_str()), "a ticket").await
    }

    async fn replace(&self, ticket: &Ticket, expected_version: u64, event: &Event) -> Result<()> {
        self.put(ticket, Some(expected_version), event).await
    }

    async fn delete(&self, ticket: &Ticket, event: &Event) -> Result<()> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .key(Self::KEY, s(ticket.id.as_str()))
            .condition_expression("version = :expected")
            .expression_attribute_values(":expected", n(ticket.version))
            .build()
            .context("building a ticket delete")
            .map_err(Error::Internal)?;
        let items = vec![TransactWriteItem::builder().delete(delete).build(), self.outbox.put(event)?];
        transact(&self.client, items, Self::CHANGED, "deleting a ticket").await
    }

    async fn list(&self, filter: &TicketFilter, page: &PageRequest) -> Result<Page<Ticket>> {
        let (index, partition) = match filter {
            TicketFilter::Available => (Self::AVAILABLE_INDEX, (Self::LISTING, Self::LISTED)),
            TicketFilter::Seller(seller) => (Self::SELLER_INDEX, (Self::SELLER, seller.as_str())),
        };
        let after = page.after.as_ref().map(|after| (Self::KEY, after.as_str()));
        let items = query_newest_first(&self.client, &self.table, index, partition, after, page.limit)
            .await
            .context("listing tickets")?;
        let tickets: Vec<Ticket> =
            serde_dynamo::from_items(items).context("decoding tickets").map_err(Error::Internal)?;
        Ok(Page::from_overfetch(tickets, page.limit, |ticket| ticket.id.to_string()))
    }
}

/// The inbox table: partition key `id` = `consumer#event id`. Entries expire (TTL) after
/// two weeks, far beyond any redelivery.
#[derive(Clone)]
pub struct DynamoInbox {
    client: Client,
    table: String,
}

impl DynamoInbox {
    pub const KEY: &'static str = "id";
    const RETENTION_DAYS: i64 = 14;

    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }
}

impl Inbox for DynamoInbox {
    async fn seen(&self, consumer: &str, event_id: &str) -> Result<bool> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(Self::KEY, s(format!("{consumer}#{event_id}")))
            .consistent_read(true)
            .send()
            .await
            .context("reading the inbox")?;
        Ok(output.item.is_some())
    }

    async fn record(&self, consumer: &str, event_id: &str) -> Result<()> {
        let expires_at = (Utc::now() + chrono::Duration::days(Self::RETENTION_DAYS)).timestamp();
        self.client
            .put_item()
            .table_name(&self.table)
            .item(Self::KEY, s(format!("{consumer}#{event_id}")))
            .item("expires_at", n(expires_at))
            .send()
            .await
            .context("recording in the inbox")?;
        Ok(())
    }
}

/// The orders table: partition key `id`, and the global secondary index `by-buyer`
/// (key `user_id`, sorted by `id`) for a buyer's orders, newest first. A change spans
/// the orders, tickets and outbox tables in one `TransactWriteItems`.
#[derive(Clone)]
pub struct DynamoOrderStore {
    client: Client,
    table: String,
    tickets_table: String,
    payments_table: String,
    outbox: Outbox,
}

/// The tables an order change spans.
#[derive(Debug, Clone)]
pub struct OrderTables {
    pub orders: String,
    pub tickets: String,
    /// Partition key `order_id` (one payment per order); index `by-intent` on `stripe_id`.
    pub payments: String,
    pub outbox: String,
}

impl DynamoOrderStore {
    pub const KEY: &'static str = "id";
    pub const BUYER_INDEX: &'static str = "by-buyer";
    pub const BUYER: &'static str = "user_id";
    pub const PAYMENT_KEY: &'static str = "order_id";
    pub const INTENT_INDEX: &'static str = "by-intent";
    pub const INTENT: &'static str = "stripe_id";

    pub fn new(client: Client, tables: OrderTables) -> Self {
        Self {
            client,
            table: tables.orders,
            tickets_table: tables.tickets,
            payments_table: tables.payments,
            outbox: Outbox::new(tables.outbox),
        }
    }
}

/// A put of `item` into `table`, conditional on the stored `version` (`None`: no item).
fn versioned_put(table: &str, item: Item, expected: Option<u64>) -> Result<TransactWriteItem> {
    versioned_put_keyed(table, "id", item, expected)
}

/// [`versioned_put`] for a table whose partition key is `key`.
fn versioned_put_keyed(table: &str, key: &str, item: Item, expected: Option<u64>) -> Result<TransactWriteItem> {
    let put = Put::builder().table_name(table).set_item(Some(item));
    let put = match expected {
        None => put.condition_expression("attribute_not_exists(#key)").expression_attribute_names("#key", key),
        Some(version) => {
            put.condition_expression("version = :expected").expression_attribute_values(":expected", n(version))
        }
    };
    let put = put.build().context("building a put").map_err(Error::Internal)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

impl OrderStore for DynamoOrderStore {
    async fn commit(&self, change: &OrderChange) -> Result<()> {
        let mut items = Vec::new();
        for (order, expected) in &change.orders {
            let item: Item = serde_dynamo::to_item(order).context("encoding an order").map_err(Error::Internal)?;
            items.push(versioned_put(&self.table, item, *expected)?);
        }
        for (ticket, expected) in &change.tickets {
            items.push(versioned_put(&self.tickets_table, DynamoTicketStore::item(ticket)?, Some(*expected))?);
        }
        for (payment, expected) in &change.payments {
            let item: Item = serde_dynamo::to_item(payment).context("encoding a payment").map_err(Error::Internal)?;
            items.push(versioned_put_keyed(&self.payments_table, Self::PAYMENT_KEY, item, *expected)?);
        }
        for event in &change.events {
            items.push(self.outbox.put(event)?);
        }
        transact(&self.client, items, Error::Conflict("Changed by another request"), "committing an order change").await
    }

    async fn get(&self, id: &OrderId) -> Result<Option<Order>> {
        get_consistent(&self.client, &self.table, (Self::KEY, id.as_str()), "an order").await
    }

    async fn list(&self, buyer: &UserId, page: &PageRequest) -> Result<Page<Order>> {
        let items = query_newest_first(
            &self.client,
            &self.table,
            Self::BUYER_INDEX,
            (Self::BUYER, buyer.as_str()),
            page.after.as_ref().map(|after| (Self::KEY, after.as_str())),
            page.limit,
        )
        .await
        .context("listing orders")?;
        let orders: Vec<Order> = serde_dynamo::from_items(items).context("decoding orders").map_err(Error::Internal)?;
        Ok(Page::from_overfetch(orders, page.limit, |order| order.id.to_string()))
    }

    async fn payment_for(&self, order: &OrderId) -> Result<Option<Payment>> {
        get_consistent(&self.client, &self.payments_table, (Self::PAYMENT_KEY, order.as_str()), "a payment").await
    }

    async fn payment_by_intent(&self, intent_id: &str) -> Result<Option<Payment>> {
        let output = self
            .client
            .query()
            .table_name(&self.payments_table)
            .index_name(Self::INTENT_INDEX)
            .key_condition_expression("#intent = :intent")
            .expression_attribute_names("#intent", Self::INTENT)
            .expression_attribute_values(":intent", s(intent_id))
            .send()
            .await
            .context("finding a payment by intent")?;
        let found = output.items.unwrap_or_default().into_iter().next();
        found
            .map(|item| serde_dynamo::from_item(item).context("decoding a payment"))
            .transpose()
            .map_err(Error::Internal)
    }
}

/// Up to `limit + 1` items of `index` (the table itself when empty) whose partition
/// attribute has the given value, highest sort key (newest ULID) first, after the item
/// whose sort key is `after`. The sort key is the table's own key on every index here,
/// so the start key is the sort key and the partition key.
async fn query_newest_first(
    client: &Client,
    table: &str,
    index: &str,
    partition: (&str, &str),
    after: Option<(&str, &str)>,
    limit: usize,
) -> anyhow::Result<Vec<Item>> {
    let start = after
        .map(|(sort, value)| HashMap::from([(sort.to_owned(), s(value)), (partition.0.to_owned(), s(partition.1))]));
    let query = client.query().table_name(table);
    let query = if index.is_empty() { query } else { query.index_name(index) };
    let output = query
        .key_condition_expression("#key = :value")
        .expression_attribute_names("#key", partition.0)
        .expression_attribute_values(":value", s(partition.1))
        .scan_index_forward(false)
        .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX))
        .set_exclusive_start_key(start)
        .send()
        .await?;
    Ok(output.items.unwrap_or_default())
}

/// The notifications table: partition key `user_id`, sort key `id` (the event id, a ULID,
/// so newest first is descending order).
#[derive(Clone)]
pub struct DynamoNotificationStore {
    client: Client,
    table: String,
}

impl DynamoNotificationStore {
    pub const PARTITION: &'static str = "user_id";
    pub const SORT: &'static str = "id";

    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }
}

#[derive(Serialize, Deserialize)]
struct NotificationItem {
    user_id: String,
    id: String,
    kind: String,
    message: String,
    order_id: String,
    created_at: chrono::DateTime<Utc>,
}

impl NotificationStore for DynamoNotificationStore {
    async fn add(&self, notification: &Notification) -> Result<()> {
        let item = NotificationItem {
            user_id: notification.user_id.to_string(),
            id: notification.id.clone(),
            kind: notification.kind.clone(),
            message: notification.message.clone(),
            order_id: notification.order_id.clone(),
            created_at: notification.created_at,
        };
        let item: Item = serde_dynamo::to_item(item).context("encoding a notification").map_err(Error::Internal)?;
        let outcome = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(id)")
            .send()
            .await;
        match outcome {
            Ok(_) => Ok(()),
            // Already recorded: a redelivery.
            Err(SdkError::ServiceError(e)) if matches!(e.err(), PutItemError::ConditionalCheckFailedException(_)) => {
                Ok(())
            }
            Err(e) => Err(Error::Internal(anyhow::Error::new(e).context("putting a notification"))),
        }
    }

    async fn list(&self, user: &UserId, page: &PageRequest) -> Result<Page<Notification>> {
        let items = query_newest_first(
            &self.client,
            &self.table,
            "",
            (Self::PARTITION, user.as_str()),
            page.after.as_ref().map(|after| (Self::SORT, after.as_str())),
            page.limit,
        )
        .await
        .context("listing notifications")?;
        let stored: Vec<NotificationItem> =
            serde_dynamo::from_items(items).context("decoding notifications").map_err(Error::Internal)?;
        let notifications = stored
            .into_iter()
            .map(|item| Notification {
                id: item.id,
                user_id: UserId::from(item.user_id),
                kind: item.kind,
                message: item.message,
                order_id: item.order_id,
                created_at: item.created_at,
            })
            .collect();
        Ok(Page::from_overfetch(notifications, page.limit, |notification| notification.id.clone()))
    }
}
