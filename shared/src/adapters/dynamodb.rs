//! DynamoDB adapters. SDK types stay in this module: conditional-check failures become
//! domain conflicts here, every other SDK error an internal one.

use anyhow::Context;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::error::{Error, Result};
use crate::ports::UserStore;
use crate::users::{Email, User};

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
                Err(Error::Conflict("Email in use"))
            }
            Err(e) => Err(Error::Internal(anyhow::Error::new(e).context("putting a user"))),
        }
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<User>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(Self::KEY, AttributeValue::S(email.as_str().to_owned()))
            .consistent_read(true)
            .send()
            .await
            .context("getting a user")?;
        output
            .item
            .map(|item| serde_dynamo::from_item(item).context("decoding a user"))
            .transpose()
            .map_err(Error::Internal)
    }
}
