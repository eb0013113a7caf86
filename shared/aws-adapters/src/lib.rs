//! The ports' AWS adapters. SDK types stay inside this crate: DynamoDB's conditional-check
//! failures become domain conflicts here, every other SDK error an internal one.
//!
//! Without the `sdk` feature the crate holds only the names of the stack's resources a
//! function reads from its environment (`resources`, `table_sets`): the handler libraries name
//! them, and the local runner links those libraries without compiling the AWS SDK. The
//! Lambda binaries turn it on (each function crate's default `lambda` feature).

#[cfg(feature = "sdk")]
mod client;
#[cfg(feature = "sdk")]
pub mod dynamodb;
#[cfg(feature = "sdk")]
pub mod eventbridge;
pub mod resources;
#[cfg(feature = "sdk")]
pub mod s3;
#[cfg(feature = "sdk")]
pub mod scheduler;
#[cfg(feature = "sdk")]
pub mod ses;
pub mod ses_feedback;
#[cfg(feature = "sdk")]
pub mod sqs;
pub mod table_sets;

#[cfg(feature = "sdk")]
pub use client::Aws;
#[cfg(feature = "sdk")]
pub use dynamodb::{
    DynamoChanges, DynamoInbox, DynamoNotifications, DynamoOrders, DynamoPayments, DynamoPayouts, DynamoSignInAttempts,
    DynamoTickets, DynamoUsers, Outbox,
};
#[cfg(feature = "sdk")]
pub use eventbridge::EventBridgePublisher;
pub use resources::{
    EventBusName, FilesBucket, InboxTable, MailSender, NotificationsQueue, NotificationsTable, OrdersTable,
    OutboxTable, PaymentsTable, PayoutsTable, RelayDeadLetterQueue, ReleaseTarget, ScheduleTarget, SignInAttemptsTable,
    TicketsTable, UsersTable,
};
#[cfg(feature = "sdk")]
pub use s3::S3Files;
#[cfg(feature = "sdk")]
pub use scheduler::{EventBridgeScheduler, PayoutScheduler};
#[cfg(feature = "sdk")]
pub use ses::SesMailer;
#[cfg(feature = "sdk")]
pub use sqs::{SqsDeadLetters, SqsNotificationSender};
#[cfg(feature = "sdk")]
pub use table_sets::PaymentStores;
pub use table_sets::{
    FileWrites, OrderPageReads, OrderWrites, PaymentReads, PaymentWrites, PayoutWrites, ProblemWrites, SaleReads,
    TicketWrites,
};
