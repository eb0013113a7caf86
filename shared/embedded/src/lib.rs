//! The local runner's adapters, and the tests': one embedded store (redb, a file under the
//! data directory, or in memory) that implements every store port, the scheduler, the
//! inbox, the consumers' delivery queues, the outbound notifications and the mail sent; and a payment
//! gateway that follows Stripe's test cards. Each passes the conformance suite of its port.
//!
//! Records are JSON; every write is one serialized, durable redb transaction, which gives
//! the atomicity of DynamoDB's conditional writes and transactions: a change and its outbox
//! events commit together or not at all.

mod attempts;
mod changes;
mod connect;
mod deliveries;
mod files;
mod gateway;
mod inbox;
mod mail;
mod notification_sender;
mod notifications;
mod outbox;
mod reads;
mod schedules;
mod store;
mod users;

pub use connect::{TestAccount, TestTransfer};
pub use deliveries::{DeadLetter, Delivery};
pub use files::{Download, FILES_PATH, LocalFiles, Refused, SignedUpload};
pub use gateway::TestGateway;
pub use mail::SentMail;
pub use schedules::{Schedule, ScheduleGroup};
pub use store::EmbeddedStore;
