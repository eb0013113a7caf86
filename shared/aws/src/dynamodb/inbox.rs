//! The inbox table: partition key `id` = `consumer#event id`. Entries expire (TTL) after
//! two weeks, far beyond any redelivery.

use anyhow::Context;
use aws_sdk_dynamodb::Client;
use chrono::Utc;
use domain::Result;
use domain::ports::Inbox;

use super::table::{Table, n, s};
use crate::resources::InboxTable;

#[derive(Clone)]
pub struct DynamoInbox(Table);

impl DynamoInbox {
    pub const KEY: &'static str = "id";
    pub const TTL_ATTRIBUTE: &'static str = "expires_at";
    const RETENTION_DAYS: i64 = 14;

    pub fn new(client: Client, table: &InboxTable) -> Self {
        Self(Table::new(client, table.name()))
    }
}

impl Inbox for DynamoInbox {
    async fn seen(&self, consumer: &str, event_id: &str) -> Result<bool> {
        let output = self
            .0
            .client
            .get_item()
            .table_name(&self.0.name)
            .key(Self::KEY, s(format!("{consumer}#{event_id}")))
            .consistent_read(true)
            .send()
            .await
            .context("reading the inbox")?;
        Ok(output.item.is_some())
    }

    async fn record(&self, consumer: &str, event_id: &str) -> Result<()> {
        let expires_at = (Utc::now() + chrono::Duration::days(Self::RETENTION_DAYS)).timestamp();
        self.0
            .client
            .put_item()
            .table_name(&self.0.name)
            .item(Self::KEY, s(format!("{consumer}#{event_id}")))
            .item(Self::TTL_ATTRIBUTE, n(expires_at))
            .send()
            .await
            .context("recording in the inbox")?;
        Ok(())
    }
}
