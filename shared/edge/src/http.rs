//! Responses, and the one place an error becomes a response: its status and the one JSON
//! error shape `{"errors":[{"message","field"?}]}`. Internal errors are logged with their
//! cause chain and answered with an opaque 500.

use std::collections::HashMap;

use domain::{Error, FieldError, Result};
use lambda_http::http::header::{
    ALLOW, CACHE_CONTROL, CONTENT_TYPE, LINK, RETRY_AFTER, SET_COOKIE, X_CONTENT_TYPE_OPTIONS,
};
use lambda_http::http::{HeaderName, HeaderValue, StatusCode};
use lambda_http::{Body, Request, RequestExt};
use serde::Serialize;

pub type Response = lambda_http::Response<Body>;

/// A JSON response with `status`.
pub fn json<T: Serialize>(status: u16, value: &T) -> Result<Response> {
    let body = serde_json::to_string(value).map_err(|e| Error::internal(e, "encoding a response"))?;
    Ok(with_json_body(status, body))
}

fn with_json_body(status: u16, body: String) -> Response {
    let mut response = lambda_http::Response::new(Body::Text(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// An empty JSON object, `{}`: what signing out answers.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Empty {}

/// What the webhook answers Stripe: `{"received": true}`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Received {
    pub received: bool,
}

/// 204 with no body.
pub fn no_content() -> Response {
    let mut response = lambda_http::Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

/// 303 to `location` (a download URL), with no body.
pub fn see_other(location: &str) -> Result<Response> {
    let mut response = lambda_http::Response::new(Body::Empty);
    *response.status_mut() = StatusCode::SEE_OTHER;
    with_header(response, lambda_http::http::header::LOCATION, location)
}

/// Adds a header.
pub fn with_header(mut response: Response, name: HeaderName, value: &str) -> Result<Response> {
    let value = HeaderValue::from_str(value).map_err(|e| Error::internal(e, "a response header"))?;
    response.headers_mut().append(name, value);
    Ok(response)
}

/// Adds a `Set-Cookie` header.
pub fn with_cookie(response: Response, cookie: &str) -> Result<Response> {
    with_header(response, SET_COOKIE, cookie)
}

/// 200 with one page of `items` and, when another page follows, a `Link: <...>; rel="next"`
/// header that keeps `params` (the filters).
pub fn page<T: Serialize>(
    req: &Request,
    page: &domain::page::PageRequest,
    items: &[T],
    next: Option<&str>,
    params: &[(&str, &str)],
) -> Result<Response> {
    let response = json(200, &items)?;
    match next {
        None => Ok(response),
        Some(next) => {
            with_header(response, LINK, &crate::pagination::next_link(req.uri().path(), params, page.limit, next))
        }
    }
}

/// Ids are at most this long: anything longer is no id of this API's, refused before any
/// lookup (a store's key limits never see it).
pub const MAX_ID_LEN: usize = 64;

/// A path parameter of the route (`{id}`), empty when absent; 400 when longer than any id.
pub fn path_param(req: &Request, name: &str) -> Result<String> {
    let value = req.path_parameters().first(name).unwrap_or_default().to_owned();
    if value.len() > MAX_ID_LEN {
        return Err(Error::BadRequest(format!("{name} is too long to be an id")));
    }
    Ok(value)
}

/// An id given in the query string: `None` when absent or empty; 400 when longer than any id.
pub fn id_param(query: &HashMap<String, String>, name: &str) -> Result<Option<String>> {
    match query.get(name).filter(|id| !id.is_empty()) {
        Some(id) if id.len() > MAX_ID_LEN => {
            Err(Error::Validation(vec![FieldError::new(name, format!("{name} is too long to be an id"))]))
        }
        id => Ok(id.cloned()),
    }
}

/// The query string's parameters, the first value of each.
pub fn query_params(req: &Request) -> HashMap<String, String> {
    let query = req.query_string_parameters();
    query.iter().map(|(name, value)| (name.to_owned(), value.to_owned())).collect()
}

/// The HTTP status of an error.
pub fn status(error: &Error) -> u16 {
    match error {
        Error::Validation(_) | Error::BadRequest(_) => 400,
        Error::Unauthorized(_) => 401,
        Error::PaymentDeclined(_) => 402,
        Error::Forbidden(_) => 403,
        Error::NotFound(_) => 404,
        Error::Conflict(_) => 409,
        Error::MethodNotAllowed { .. } => 405,
        Error::PayloadTooLarge => 413,
        Error::UnsupportedMediaType => 415,
        Error::TooManyRequests { .. } => 429,
        Error::Internal(_) => 500,
    }
}

/// The body a client sees: `{"errors": [...]}`. Internal causes become an opaque message.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub errors: Vec<FieldError>,
}

impl ErrorBody {
    pub fn of(error: &Error) -> Self {
        let message = |m: &str| vec![FieldError { message: m.to_owned(), field: None }];
        let errors = match error {
            Error::Validation(errors) => errors.clone(),
            Error::Internal(_) => message("Something went wrong"),
            other => message(&other.to_string()),
        };
        Self { errors }
    }
}

/// The response for an error. Internal errors are logged with their cause chain.
pub fn error_response(error: Error) -> Response {
    if let Error::Internal(cause) = &error {
        tracing::error!(error = ?cause, "request failed");
    }
    let body = serde_json::to_string(&ErrorBody::of(&error))
        .unwrap_or_else(|_| r#"{"errors":[{"message":"Something went wrong"}]}"#.to_owned());
    let mut response = with_json_body(status(&error), body);
    match error {
        Error::TooManyRequests { retry_after, .. } => {
            response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(retry_after));
        }
        Error::MethodNotAllowed { allowed } => {
            if let Ok(allow) = HeaderValue::from_str(&allowed.join(", ")) {
                response.headers_mut().insert(ALLOW, allow);
            }
        }
        _ => {}
    }
    response
}

/// `response`, which browsers and CloudFront may keep for `seconds` (what `respond` makes
/// `no-store` otherwise): an answer that is the same for everyone.
pub fn kept_for(mut response: Response, seconds: u32) -> Response {
    let value = HeaderValue::try_from(format!("public, max-age={seconds}"));
    response.headers_mut().insert(CACHE_CONTROL, value.unwrap_or(HeaderValue::from_static("no-store")));
    response
}

/// The response for a handler's outcome, with the headers every response carries: no
/// content sniffing, and no caching anywhere (responses are a user's own, or change as
/// tickets sell), but what a handler marked [`kept_for`].
pub fn respond(result: Result<Response>) -> Response {
    let mut response = result.unwrap_or_else(error_response);
    let headers = response.headers_mut();
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.entry(CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(response: &Response) -> String {
        String::from_utf8(response.body().to_vec()).unwrap()
    }

    #[test]
    fn internal_errors_never_show_their_cause() {
        let response = error_response(Error::Internal(anyhow::anyhow!("table users-prod is throttled")));
        assert_eq!(response.status(), 500);
        assert_eq!(body(&response), r#"{"errors":[{"message":"Something went wrong"}]}"#);
    }

    #[test]
    fn validation_errors_name_their_fields() {
        let response = error_response(Error::Validation(vec![FieldError::new("email", "Email must be valid")]));
        assert_eq!(response.status(), 400);
        assert_eq!(body(&response), r#"{"errors":[{"message":"Email must be valid","field":"email"}]}"#);
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
    }

    #[test]
    fn each_error_has_its_status() {
        let cases = [
            (Error::BadRequest("x".into()), 400),
            (Error::Unauthorized("x"), 401),
            (Error::PaymentDeclined("x".into()), 402),
            (Error::Forbidden("x"), 403),
            (Error::NotFound("x"), 404),
            (Error::Conflict("x"), 409),
        ];
        for (error, expected) in cases {
            assert_eq!(status(&error), expected, "{error:?}");
            assert_eq!(ErrorBody::of(&error).errors[0].message, "x");
        }
    }
}
