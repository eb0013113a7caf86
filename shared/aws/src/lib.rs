//! The ports' AWS adapters. SDK types stay inside this crate: DynamoDB's conditional-check
//! failures become domain conflicts here, every other SDK error an internal one.

pub mod dynamodb;
pub mod eventbridge;
pub mod resources;
pub mod scheduler;
pub mod sqs;
pub mod stores;

pub use dynamodb::{
    DynamoChanges, DynamoInbox, DynamoNotifications, DynamoOrders, DynamoPayments, DynamoSignInAttempts, DynamoTickets,
    DynamoUsers, Outbox,
};
pub use eventbridge::EventBridgePublisher;
pub use resources::{
    EventBusName, InboxTable, NotificationsQueue, NotificationsTable, OrdersTable, OutboxTable, PaymentsTable,
    RelayDeadLetterQueue, ScheduleTarget, SignInAttemptsTable, TicketsTable, UsersTable,
};
pub use scheduler::EventBridgeScheduler;
pub use sqs::{SqsDeadLetters, SqsNotificationSender};
pub use stores::{OrderWrites, PaymentWrites, TicketWrites};

/// The AWS configuration of a function (region, credentials, endpoints), loaded once per
/// cold start and shared by every client the function builds.
#[derive(Clone)]
pub struct Aws {
    config: aws_config::SdkConfig,
}

impl Aws {
    /// From the environment: `AWS_REGION`, the credentials Lambda provides, and
    /// `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` for another endpoint.
    pub async fn load() -> Self {
        Self::from_config(aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await)
    }

    pub fn from_config(config: aws_config::SdkConfig) -> Self {
        Self { config }
    }

    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.config)
    }

    pub fn eventbridge(&self) -> aws_sdk_eventbridge::Client {
        aws_sdk_eventbridge::Client::new(&self.config)
    }

    pub fn scheduler(&self) -> aws_sdk_scheduler::Client {
        aws_sdk_scheduler::Client::new(&self.config)
    }

    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&self.config)
    }
}
