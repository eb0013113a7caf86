//! Attempts at signing in and up, keyed by `AttemptKey` (in the key attribute `email`, its
//! name since the key was the email alone): an attempt is reserved by an atomic,
//! conditional `ADD` while the window is open and under its limit; a new window replaces an
//! old one with a conditional put. The record expires (TTL) once its window has passed.

use anyhow::Context;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::ReturnValue;
use chrono::{DateTime, Utc};
use domain::ports::{AttemptKey, AttemptWindow, Failures, Reserved, SignInAttempts};
use domain::{Error, Result};

use super::table::{Item, Table, n, s};
use crate::resources::SignInAttemptsTable;

#[derive(Clone)]
pub struct DynamoSignInAttempts(Table);

impl DynamoSignInAttempts {
    pub const KEY: &'static str = "email";
    pub const TTL_ATTRIBUTE: &'static str = "expires_at";
    /// A failure that races a new window's put may find neither condition true; it tries
    /// again, a few times.
    const ATTEMPTS: usize = 3;

    pub fn new(client: Client, table: &SignInAttemptsTable) -> Self {
        Self(Table::new(client, table.name()))
    }
}

fn failures(item: &Item) -> Option<Failures> {
    let count = item.get("count")?.as_n().ok()?.parse().ok()?;
    let since = item.get("since")?.as_n().ok()?.parse().ok()?;
    Some(Failures { count, since: DateTime::from_timestamp_millis(since)? })
}

impl SignInAttempts for DynamoSignInAttempts {
    async fn failures(&self, key: &AttemptKey, opened_after: DateTime<Utc>) -> Result<Option<Failures>> {
        let output = self
            .0
            .client
            .get_item()
            .table_name(&self.0.name)
            .key(Self::KEY, s(key.as_str()))
            .consistent_read(true)
            .send()
            .await
            .context("reading failed sign-ins")?;
        Ok(output.item.as_ref().and_then(failures).filter(|failures| failures.since > opened_after))
    }

    async fn reserve(&self, key: &AttemptKey, window: AttemptWindow) -> Result<Reserved> {
        let AttemptWindow { now, opened_after, forget_at, limit } = window;
        for _ in 0..Self::ATTEMPTS {
            let counted = self
                .0
                .client
                .update_item()
                .table_name(&self.0.name)
                .key(Self::KEY, s(key.as_str()))
                .update_expression("ADD #count :one")
                .condition_expression("since > :opened_after AND #count < :limit")
                .expression_attribute_names("#count", "count")
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":opened_after", n(opened_after.timestamp_millis()))
                .expression_attribute_values(":limit", n(limit))
                .return_values(ReturnValue::AllNew)
                .send()
                .await;
            match counted {
                Ok(output) => {
                    let counted = output.attributes.as_ref().and_then(failures);
                    return counted
                        .map(Reserved::Granted)
                        .ok_or_else(|| Error::Internal(anyhow::anyhow!("a reserved attempt without its count")));
                }
                Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {}
                Err(e) => return Err(Error::internal(e, "reserving a sign-in attempt")),
            }
            // No window, or an old one: open a new one, unless a concurrent attempt just did.
            let opened = self
                .0
                .client
                .put_item()
                .table_name(&self.0.name)
                .item(Self::KEY, s(key.as_str()))
                .item("count", n(1))
                .item("since", n(now.timestamp_millis()))
                .item(Self::TTL_ATTRIBUTE, n(forget_at.timestamp()))
                .condition_expression("attribute_not_exists(#email) OR since <= :opened_after")
                .expression_attribute_names("#email", Self::KEY)
                .expression_attribute_values(":opened_after", n(opened_after.timestamp_millis()))
                .send()
                .await;
            match opened {
                Ok(_) => return Ok(Reserved::Granted(Failures { count: 1, since: now })),
                Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {}
                Err(e) => return Err(Error::internal(e, "opening a sign-in window")),
            }
            // Neither: the window is open and full (or a concurrent window just opened).
            if let Some(full) = self.failures(key, opened_after).await?.filter(|failures| failures.count >= limit) {
                return Ok(Reserved::Refused(full));
            }
        }
        Err(Error::Internal(anyhow::anyhow!("reserving a sign-in attempt kept racing")))
    }

    async fn clear(&self, key: &AttemptKey) -> Result<()> {
        self.0
            .client
            .delete_item()
            .table_name(&self.0.name)
            .key(Self::KEY, s(key.as_str()))
            .send()
            .await
            .context("clearing failed sign-ins")?;
        Ok(())
    }
}
