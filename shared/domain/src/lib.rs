//! The marketplace itself: entities with their state transitions, the rules, the ports
//! (one small trait per capability) and the use cases. Nothing here knows AWS, HTTP,
//! Lambda or Stripe: adapters and the Lambda edge depend on this crate, never the reverse.

pub mod change;
pub mod config;
pub mod email_verification;
pub mod encoding;
pub mod entities;
pub mod error;
pub mod events;
pub mod expiration;
pub mod files;
pub mod ids;
pub mod inbox;
pub mod mail;
pub mod money;
pub mod notifications;
pub mod orders;
pub mod page;
pub mod password_reset;
pub mod payments;
pub mod payouts;
pub mod ports;
pub mod relay;
pub mod story;
pub mod tickets;
pub mod time;
pub mod tokens;
pub mod users;

#[cfg(feature = "testing")]
pub mod testing;

pub use error::{Error, FieldError, Result};
