//! The inbox table: partition key `id` = `consumer#event id`; a claim is one conditional put,
//! so of two concurrent claims one succeeds. Entries expire (TTL) after two weeks, far
//! beyond any redelivery.

use anyhow::Context;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
use chrono::{DateTime, Utc};
use domain::ports::{Claim, Inbox};
use domain::{Error, Result};

use super::table::{Table, n, s};
use crate::resources::InboxTable;

#[derive(Clone)]
pub struct DynamoInbox(Table);

impl DynamoInbox {
    pub const KEY: &'static str = "id";
    pub const TTL_ATTRIBUTE: &'static str = "expires_at";
    const RETENTION_DAYS: i64 = 14;
    const CLAIMED: &'static str = "claimed";
    const DONE: &'static str = "done";

    pub fn new(client: Client, table: &InboxTable) -> Self {
        Self(Table::new(client, table.name()))
    }

    fn key(consumer: &str, event_id: &str) -> String {
        format!("{consumer}#{event_id}")
    }

    fn expires_at() -> i64 {
        (Utc::now() + chrono::Duration::days(Self::RETENTION_DAYS)).timestamp()
    }
}

impl Inbox for DynamoInbox {
    async fn claim(&self, consumer: &str, event_id: &str, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<Claim> {
        let key = Self::key(consumer, event_id);
        let outcome = self
            .0
            .client
            .put_item()
            .table_name(&self.0.name)
            .item(Self::KEY, s(&key))
            .item("state", s(Self::CLAIMED))
            .item("lease_until", n(until.timestamp_millis()))
            .item(Self::TTL_ATTRIBUTE, n(Self::expires_at()))
            .condition_expression("attribute_not_exists(#id) OR (#state = :claimed AND lease_until < :now)")
            .expression_attribute_names("#id", Self::KEY)
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":claimed", s(Self::CLAIMED))
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            // The claim in the way comes back with the failure: no read needed to tell a
            // completed event from one in progress.
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match outcome {
            Ok(_) => Ok(Claim::Acquired),
            Err(SdkError::ServiceError(e)) => match e.err() {
                PutItemError::ConditionalCheckFailedException(failed) => {
                    let done = failed
                        .item()
                        .and_then(|item| item.get("state"))
                        .is_some_and(|state| state.as_s().is_ok_and(|state| state == Self::DONE));
                    Ok(if done { Claim::Done } else { Claim::Busy })
                }
                _ => Err(Error::internal(e.into_err(), "claiming an event")),
            },
            Err(e) => Err(Error::internal(e, "claiming an event")),
        }
    }

    async fn complete(&self, consumer: &str, event_id: &str) -> Result<()> {
        self.0
            .client
            .put_item()
            .table_name(&self.0.name)
            .item(Self::KEY, s(Self::key(consumer, event_id)))
            .item("state", s(Self::DONE))
            .item(Self::TTL_ATTRIBUTE, n(Self::expires_at()))
            .send()
            .await
            .context("completing a claim")?;
        Ok(())
    }

    async fn release(&self, consumer: &str, event_id: &str) -> Result<()> {
        let outcome = self
            .0
            .client
            .delete_item()
            .table_name(&self.0.name)
            .key(Self::KEY, s(Self::key(consumer, event_id)))
            .condition_expression("#state = :claimed")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":claimed", s(Self::CLAIMED))
            .send()
            .await;
        match outcome {
            Ok(_) => Ok(()),
            // Completed meanwhile, or gone: nothing to release.
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => Ok(()),
            Err(e) => Err(Error::internal(e, "releasing a claim")),
        }
    }
}
