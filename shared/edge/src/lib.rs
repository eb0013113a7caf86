//! The Lambda edge: where requests and events from AWS become domain types and outcomes
//! become responses. Request parsing, the one mapping from errors to statuses and the one
//! error shape, sessions from cookies and headers, password hashing, SQS batches as
//! EventBridge delivers them, and serving a handler on the Lambda runtime.

pub mod address;
pub mod auth;
pub mod body;
pub mod client_config;
pub mod deliveries;
pub mod http;
pub mod pagination;
pub mod passwords;
pub mod requests;
pub mod routes;
pub mod secrets;
pub mod serve;

pub use domain::{Error, Result};
pub use http::Response;
pub use lambda_http::{Body, Request, RequestExt};
/// What a function's `main` returns when it cannot start or serve.
pub use lambda_runtime::Error as StartError;
pub use serve::{serve, serve_http, serve_sqs, start};
