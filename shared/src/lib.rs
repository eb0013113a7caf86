//! Everything the functions share: the domain and its rules, the ports and their
//! adapters, HTTP helpers, auth and configuration.

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
pub mod ports;
pub mod relay;
pub mod tickets;
pub mod users;

pub use error::{Error, FieldError, Result};
