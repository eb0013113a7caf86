//! The users table: partition key `email` (lower-cased), so the key itself makes an email
//! unique and one conditional put claims it.

use anyhow::Context;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};
use chrono::{DateTime, Utc};
use domain::entities::{Email, MailSuppression, Redemption, StoredToken, TokenPurpose, User};
use domain::events::Event;
use domain::ids::UserId;
use domain::ports::UserStore;
use domain::{Error, Result};

use super::changes::{Transacted, transact};
use super::outbox::Outbox;
use super::table::{Table, encode, n, s};
use crate::resources::{OutboxTable, UsersTable};

/// The users table, and the outbox that a new account's events go to (for the function that
/// signs people up).
#[derive(Clone)]
pub struct DynamoUsers {
    table: Table,
    outbox: Option<Outbox>,
}

impl DynamoUsers {
    pub const KEY: &'static str = "email";
    const SESSION_GENERATION: &'static str = "session_generation";
    const MAIL_SUPPRESSED: &'static str = "mail_suppressed";
    /// The index of accounts by id (keys only), for the mail sender.
    pub const ID_INDEX: &'static str = "by-id";
    pub const ID: &'static str = "id";

    pub fn new(client: Client, table: &UsersTable) -> Self {
        Self { table: Table::new(client, table.name()), outbox: None }
    }

    /// With the outbox that [`UserStore::insert`] stores a new account's events in.
    pub fn announcing(self, outbox: &OutboxTable) -> Self {
        Self { outbox: Some(Outbox::new(outbox)), ..self }
    }

    fn token_attribute(purpose: TokenPurpose) -> &'static str {
        match purpose {
            TokenPurpose::PasswordReset => "reset_token",
            TokenPurpose::EmailVerification => "verification_token",
        }
    }
}

impl UserStore for DynamoUsers {
    async fn insert(&self, user: &User, events: &[Event]) -> Result<()> {
        let put = Put::builder()
            .table_name(&self.table.name)
            .set_item(Some(encode(user, "a user")?))
            .condition_expression("attribute_not_exists(#email)")
            .expression_attribute_names("#email", Self::KEY)
            // The account in the way comes back with the failure: no second request (and no
            // read permission) needed to tell a retry of our own put from a taken email.
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .context("building a user's put")?;
        let mut items = vec![TransactWriteItem::builder().put(put).build()];
        if !events.is_empty() {
            let outbox = self.outbox.as_ref().ok_or_else(|| {
                Error::Internal(anyhow::anyhow!("a new account announces events, and there is no outbox"))
            })?;
            items.push(outbox.put(events)?);
        }
        // An SDK retry of a transaction that committed succeeds (the token is the account's).
        let reasons = match transact(&self.table.client, &items, user.id.as_str(), "putting a user").await? {
            Transacted::Committed => return Ok(()),
            Transacted::ConditionFailed(reasons) => reasons,
            // Concurrent sign-ups with this email kept cancelling it: one of them has it.
            Transacted::KeptConflicting => return Err(Error::Conflict("Email in use")),
        };
        // A retried insert whose first attempt committed finds its own item in the way (and
        // its events were stored with it): that is success.
        let stored = reasons
            .first()
            .and_then(|reason| reason.item())
            .and_then(|item| serde_dynamo::from_item::<_, User>(item.clone()).ok());
        match stored {
            Some(stored) if stored.id == user.id => Ok(()),
            _ => Err(Error::Conflict("Email in use")),
        }
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<User>> {
        self.table.get((Self::KEY, email.as_str()), "a user").await
    }

    async fn end_sessions(&self, email: &Email, user: &UserId) -> Result<u32> {
        let outcome = self
            .table
            .client
            .update_item()
            .table_name(&self.table.name)
            .key(Self::KEY, s(email.as_str()))
            .update_expression("ADD #generation :one")
            .condition_expression("#id = :id")
            .expression_attribute_names("#generation", Self::SESSION_GENERATION)
            .expression_attribute_names("#id", "id")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":id", s(user.as_str()))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await;
        match outcome {
            Ok(output) => output
                .attributes()
                .and_then(|item| item.get(Self::SESSION_GENERATION)?.as_n().ok()?.parse().ok())
                .ok_or_else(|| Error::Internal(anyhow::anyhow!("an ended session without its generation"))),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Err(Error::Unauthorized("Not authorized"))
            }
            Err(e) => Err(Error::internal(e, "ending a user's sessions")),
        }
    }

    async fn find_by_id(&self, id: &UserId) -> Result<Option<User>> {
        // The index holds the keys only: the account itself is read by its email.
        self.table.named_by(Self::ID_INDEX, (Self::ID, s(id.as_str())), Self::KEY, "a user by id").await
    }

    async fn suppress_mail(&self, email: &Email, suppression: &MailSuppression) -> Result<bool> {
        let value = attribute(suppression, "a mail suppression")?;
        self.update_if(email, "suppressing an address", |update| {
            update
                .update_expression("SET #suppressed = if_not_exists(#suppressed, :suppressed)")
                .condition_expression("attribute_exists(#email)")
                .expression_attribute_names("#suppressed", Self::MAIL_SUPPRESSED)
                .expression_attribute_names("#email", Self::KEY)
                .expression_attribute_values(":suppressed", value)
        })
        .await
    }

    async fn put_token(&self, email: &Email, purpose: TokenPurpose, token: &StoredToken) -> Result<bool> {
        let value = attribute(token, "a token")?;
        self.update_if(email, "storing a token", |update| {
            update
                .update_expression("SET #token = :token")
                .condition_expression("attribute_exists(#email)")
                .expression_attribute_names("#token", Self::token_attribute(purpose))
                .expression_attribute_names("#email", Self::KEY)
                .expression_attribute_values(":token", value)
        })
        .await
    }

    async fn redeem_token(
        &self,
        email: &Email,
        redemption: &Redemption,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let (expression, names, values) = match redemption {
            Redemption::PasswordReset(password) => (
                "SET #password = :password REMOVE #token ADD #generation :one",
                [("#password", "password_hash"), ("#generation", Self::SESSION_GENERATION)].as_slice(),
                vec![(":password", attribute(password, "a password hash")?), (":one", n(1))],
            ),
            Redemption::EmailVerification => (
                "SET #verified = :verified REMOVE #token",
                [("#verified", "email_verified_at")].as_slice(),
                vec![(":verified", attribute(&now, "a time")?)],
            ),
        };
        self.update_if(email, "redeeming a token", |update| {
            let update = update
                .update_expression(expression)
                .condition_expression("#token.#hash = :hash AND #token.#expires > :now")
                .expression_attribute_names("#token", Self::token_attribute(redemption.purpose()))
                .expression_attribute_names("#hash", "hash")
                .expression_attribute_names("#expires", "expires_at")
                .expression_attribute_values(":hash", s(hash))
                .expression_attribute_values(":now", n(now.timestamp_millis()));
            let update =
                names.iter().fold(update, |update, (name, value)| update.expression_attribute_names(*name, *value));
            values.into_iter().fold(update, |update, (name, value)| update.expression_attribute_values(name, value))
        })
        .await
    }
}

impl DynamoUsers {
    /// An `UpdateItem` of the account of `email`, as `build` makes it: whether its condition
    /// held.
    async fn update_if(
        &self,
        email: &Email,
        what: &'static str,
        build: impl FnOnce(UpdateItemFluentBuilder) -> UpdateItemFluentBuilder,
    ) -> Result<bool> {
        let update = self.table.client.update_item().table_name(&self.table.name).key(Self::KEY, s(email.as_str()));
        match build(update).send().await {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => Ok(false),
            Err(e) => Err(Error::internal(e, what)),
        }
    }
}

fn attribute(value: &impl serde::Serialize, what: &'static str) -> Result<AttributeValue> {
    serde_dynamo::to_attribute_value(value).map_err(|e| Error::internal(e, format!("encoding {what}")))
}
