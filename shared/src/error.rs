//! The one error vocabulary: every use case returns [`Error`], and [`Error::status`]
//! plus [`Error::body`] are the only mapping to HTTP.

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
    /// Anything unexpected. Logged with its cause chain, never shown to a client.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// One entry of the JSON error body; `field` only for validation errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub errors: Vec<FieldError>,
}

impl Error {
    pub fn status(&self) -> u16 {
        match self {
            Error::Validation(_) | Error::BadRequest(_) => 400,
            Error::Unauthorized(_) => 401,
            Error::PaymentDeclined(_) => 402,
            Error::Forbidden(_) => 403,
            Error::NotFound(_) => 404,
            Error::Conflict(_) => 409,
            Error::Internal(_) => 500,
        }
    }

    /// The body a client sees. Internal causes are replaced by an opaque message.
    pub fn body(&self) -> ErrorBody {
        let message = |m: &str| vec![FieldError { message: m.to_owned(), field: None }];
        let errors = match self {
            Error::Validation(errors) => errors.clone(),
            Error::Internal(_) => message("Something went wrong"),
            other => message(&other.to_string()),
        };
        ErrorBody { errors }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_never_show_their_cause() {
        let error = Error::Internal(anyhow::anyhow!("table users-prod is throttled"));
        let body = serde_json::to_string(&error.body()).unwrap();
        assert_eq!(error.status(), 500);
        assert_eq!(body, r#"{"errors":[{"message":"Something went wrong"}]}"#);
    }

    #[test]
    fn validation_errors_name_their_fields() {
        let error = Error::Validation(vec![FieldError::new("email", "Email must be valid")]);
        let body = serde_json::to_string(&error.body()).unwrap();
        assert_eq!(error.status(), 400);
        assert_eq!(body, r#"{"errors":[{"message":"Email must be valid","field":"email"}]}"#);
    }
}
