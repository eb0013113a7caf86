//! The one error vocabulary: every use case returns [`Error`]. How an error becomes a
//! response (status, body) is decided once, at the edge.

use serde::Serialize;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request was understood but one or more inputs are invalid.
    #[error("invalid request")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(&'static str),
    #[error("{0}")]
    PaymentDeclined(String),
    /// The path exists, with other methods.
    #[error("Method not allowed")]
    MethodNotAllowed { allowed: Vec<&'static str> },
    /// The request body is larger than a request may be.
    #[error("Request body is larger than 64 KiB")]
    PayloadTooLarge,
    /// A body that is not `application/json`.
    #[error("Content-Type must be application/json")]
    UnsupportedMediaType,
    /// Too many attempts: the client may try again after `retry_after` seconds.
    #[error("{message}")]
    TooManyRequests { message: &'static str, retry_after: u64 },
    /// Anything unexpected. Logged with its cause chain, never shown to a client.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl Error {
    /// An internal error with `context` around `cause`.
    pub fn internal(cause: impl Into<anyhow::Error>, context: impl std::fmt::Display + Send + Sync + 'static) -> Self {
        Error::Internal(cause.into().context(context))
    }
}

/// One invalid input: its message, and the field it is about (none for a malformed body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self { message: message.into(), field: Some(field.to_owned()) }
    }
}
