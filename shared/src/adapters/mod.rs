//! Adapters, named after what they talk to.

pub mod dynamodb;
pub mod embedded;
pub mod eventbridge;
pub mod in_process;
pub mod scheduler;
pub mod sqs;
pub mod stripe;
pub mod test_gateway;

pub use dynamodb::{
    DynamoInbox, DynamoNotificationStore, DynamoOrderStore, DynamoTicketStore, DynamoUserStore, Outbox,
};
pub use embedded::{
    EmbeddedDb, EmbeddedInbox, EmbeddedNotificationStore, EmbeddedOrderStore, EmbeddedScheduler, EmbeddedTicketStore,
    EmbeddedUserStore,
};
pub use eventbridge::EventBridgePublisher;
pub use in_process::InProcessBus;
pub use scheduler::EventBridgeScheduler;
pub use sqs::SqsNotificationSender;
pub use stripe::StripeGateway;
pub use test_gateway::TestGateway;
