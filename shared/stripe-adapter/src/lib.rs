//! Stripe: the payment gateway and the payout gateway (Connect) through `async-stripe`, and the webhook (signature checks,
//! and Stripe's events translated into the domain's [`domain::payments::GatewayEvent`]).
//! Stripe's types and JSON stay in this crate.

//!
//! The gateways need the `client` feature (each function crate's default `lambda` feature
//! turns it on); the configuration and the webhook do not.

mod config;
#[cfg(feature = "client")]
mod connect;
#[cfg(feature = "client")]
mod gateway;
#[cfg(feature = "client")]
mod transport;
pub mod webhook;

pub use config::{ConnectWebhookSecret, StripeKey, WebhookSecret};
#[cfg(feature = "client")]
pub use gateway::StripeGateway;
