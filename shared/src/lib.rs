//! Everything the functions share: the domain and its rules, the ports and their
//! adapters, HTTP helpers, auth and configuration.

/// An opaque id that is a ULID (so ids sort by creation time): generated here, and parsed
/// from a client only in its canonical form, `None` otherwise (a 404, not a 400).
macro_rules! ulid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn generate() -> Self {
                Self(ulid::Ulid::new().to_string())
            }

            pub fn parse(raw: &str) -> Option<Self> {
                ulid::Ulid::from_string(raw).ok().filter(|id| id.to_string() == raw).map(|id| Self(id.to_string()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

pub mod adapters;
pub mod auth;
pub mod config;
pub mod consumer;
pub mod error;
pub mod events;
pub mod http;
pub mod money;
pub mod notifications;
pub mod orders;
pub mod pagination;
pub mod password;
pub mod payments;
pub mod ports;
pub mod relay;
pub mod stripe_webhook;
pub mod tickets;
pub mod users;

pub use error::{Error, FieldError, Result};
