//! Adapters, named after what they talk to.

pub mod dynamodb;
pub mod embedded;

pub use dynamodb::DynamoUserStore;
pub use embedded::{EmbeddedDb, EmbeddedUserStore};
