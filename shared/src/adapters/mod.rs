//! Adapters, named after what they talk to.

pub mod dynamodb;
pub mod embedded;

pub use dynamodb::{DynamoTicketStore, DynamoUserStore, Outbox};
pub use embedded::{EmbeddedDb, EmbeddedTicketStore, EmbeddedUserStore};
