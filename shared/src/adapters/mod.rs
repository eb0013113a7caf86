//! Adapters, named after what they talk to.

pub mod dynamodb;
pub mod embedded;
pub mod eventbridge;
pub mod in_process;

pub use dynamodb::{DynamoInbox, DynamoTicketStore, DynamoUserStore, Outbox};
pub use embedded::{EmbeddedDb, EmbeddedInbox, EmbeddedTicketStore, EmbeddedUserStore};
pub use eventbridge::EventBridgePublisher;
pub use in_process::InProcessBus;
