//! Stripe: the payment gateway and the payout gateway (Connect) through `async-stripe`, and the webhook (signature checks,
//! and Stripe's events translated into the domain's [`domain::payments::GatewayEvent`]).
//! Stripe's types and JSON stay in this crate.

mod config;
mod connect;
mod gateway;
pub mod webhook;

pub use config::{ConnectWebhookSecret, StripeKey, WebhookSecret};
pub use gateway::StripeGateway;
