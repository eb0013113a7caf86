//! The users table: partition key `email` (lower-cased), so the key itself makes an email
//! unique and one conditional put claims it.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, Utc};
use domain::entities::{Email, MailSuppression, PasswordHash, StoredToken, User};
use domain::ids::UserId;
use domain::ports::UserStore;
use domain::{Error, Result};

use super::table::{Table, encode, n, s};
use crate::resources::UsersTable;

#[derive(Clone)]
pub struct DynamoUsers(Table);

impl DynamoUsers {
    pub const KEY: &'static str = "email";
    const SESSION_GENERATION: &'static str = "session_generation";
    const MAIL_SUPPRESSED: &'static str = "mail_suppressed";
    const RESET_TOKEN: &'static str = "reset_token";
    /// The index of accounts by id (keys only), for the mail sender.
    pub const ID_INDEX: &'static str = "by-id";
    pub const ID: &'static str = "id";

    pub fn new(client: Client, table: &UsersTable) -> Self {
        Self(Table::new(client, table.name()))
    }
}

impl UserStore for DynamoUsers {
    async fn insert(&self, user: &User) -> Result<()> {
        let outcome = self
            .0
            .client
            .put_item()
            .table_name(&self.0.name)
            .set_item(Some(encode(user, "a user")?))
            .condition_expression("attribute_not_exists(#email)")
            .expression_attribute_names("#email", Self::KEY)
            // The account in the way comes back with the failure: no second request (and no
            // read permission) needed to tell a retry of our own put from a taken email.
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match outcome {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) => match e.err() {
                PutItemError::ConditionalCheckFailedException(failed) => {
                    let stored = failed.item().and_then(|item| serde_dynamo::from_item::<_, User>(item.clone()).ok());
                    // A retried put whose first attempt committed finds its own item: that is success.
                    match stored {
                        Some(stored) if stored.id == user.id => Ok(()),
                        _ => Err(Error::Conflict("Email in use")),
                    }
                }
                _ => Err(Error::Internal(anyhow::Error::new(e.into_err()).context("putting a user"))),
            },
            Err(e) => Err(Error::Internal(anyhow::Error::new(e).context("putting a user"))),
        }
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<User>> {
        self.0.get((Self::KEY, email.as_str()), "a user").await
    }

    async fn end_sessions(&self, email: &Email, user: &UserId) -> Result<u32> {
        let outcome = self
            .0
            .client
            .update_item()
            .table_name(&self.0.name)
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
        // The index holds the keys only: the account itself is read by its email, strongly
        // consistent.
        let query = self.0.index(Self::ID_INDEX, (Self::ID, s(id.as_str())), None);
        let found: Vec<Keys> = Table::found(query, "a user's email by id").await?;
        match found.into_iter().next() {
            Some(keys) => self.0.get((Self::KEY, keys.email.as_str()), "a user").await,
            None => Ok(None),
        }
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

    async fn put_reset_token(&self, email: &Email, token: &StoredToken) -> Result<bool> {
        let value = attribute(token, "a reset token")?;
        self.update_if(email, "storing a reset token", |update| {
            update
                .update_expression("SET #token = :token")
                .condition_expression("attribute_exists(#email)")
                .expression_attribute_names("#token", Self::RESET_TOKEN)
                .expression_attribute_names("#email", Self::KEY)
                .expression_attribute_values(":token", value)
        })
        .await
    }

    async fn redeem_reset_token(
        &self,
        email: &Email,
        hash: &str,
        now: DateTime<Utc>,
        password: &PasswordHash,
    ) -> Result<bool> {
        let password = attribute(password, "a password hash")?;
        self.update_if(email, "redeeming a reset token", |update| {
            update
                .update_expression("SET #password = :password REMOVE #token ADD #generation :one")
                .condition_expression("#token.#hash = :hash AND #token.#expires > :now")
                .expression_attribute_names("#password", "password_hash")
                .expression_attribute_names("#token", Self::RESET_TOKEN)
                .expression_attribute_names("#hash", "hash")
                .expression_attribute_names("#expires", "expires_at")
                .expression_attribute_names("#generation", Self::SESSION_GENERATION)
                .expression_attribute_values(":password", password)
                .expression_attribute_values(":hash", s(hash))
                .expression_attribute_values(":now", n(now.timestamp_millis()))
                .expression_attribute_values(":one", n(1))
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
        let update = self.0.client.update_item().table_name(&self.0.name).key(Self::KEY, s(email.as_str()));
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

/// An entry of the `by-id` index: the table's key, and the index's.
#[derive(serde::Deserialize)]
struct Keys {
    email: String,
}
