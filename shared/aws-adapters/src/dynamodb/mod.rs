//! DynamoDB: one adapter per table, and [`DynamoChanges`], which commits a domain change
//! across tables in one `TransactWriteItems` together with its outbox events.

mod attempts;
mod changes;
mod inbox;
mod notifications;
mod orders;
mod outbox;
mod payments;
mod payouts;
mod table;
mod tickets;
mod users;

pub use attempts::DynamoSignInAttempts;
pub use changes::{DynamoChanges, client_request_token};
pub use inbox::DynamoInbox;
pub use notifications::DynamoNotifications;
pub use orders::DynamoOrders;
pub use outbox::Outbox;
pub use payments::DynamoPayments;
pub use payouts::DynamoPayouts;
pub use tickets::DynamoTickets;
pub use users::DynamoUsers;
