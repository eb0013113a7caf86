//! HTTP helpers every handler shares: reading a JSON body into fields, writing JSON
//! responses, and the one place errors become responses.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;

use lambda_http::http::header::{CONTENT_TYPE, SET_COOKIE};
use lambda_http::http::{HeaderName, HeaderValue, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response, service_fn};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{Error, FieldError, Result};

pub type HttpResponse = Response<Body>;

/// A JSON response with `status`.
pub fn json<T: Serialize>(status: u16, value: &T) -> Result<HttpResponse> {
    let body = serde_json::to_string(value).map_err(|e| Error::Internal(e.into()))?;
    Ok(with_json_body(status, body))
}

fn with_json_body(status: u16, body: String) -> HttpResponse {
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// 204 with no body.
pub fn no_content() -> HttpResponse {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

/// A path parameter of the route (`{id}`); empty when absent.
pub fn path_param(req: &Request, name: &str) -> String {
    req.path_parameters().first(name).unwrap_or_default().to_owned()
}

/// The query string's parameters, the first value of each.
pub fn query_params(req: &Request) -> HashMap<String, String> {
    let query = req.query_string_parameters();
    query.iter().map(|(name, value)| (name.to_owned(), value.to_owned())).collect()
}

/// Adds a header.
pub fn with_header(mut response: HttpResponse, name: HeaderName, value: &str) -> Result<HttpResponse> {
    let value = HeaderValue::from_str(value).map_err(|e| Error::Internal(e.into()))?;
    response.headers_mut().append(name, value);
    Ok(response)
}

/// 200 with one page of `items` (as a JSON array) and, when another page follows, a
/// `Link: <path?params&limit=..&cursor=..>; rel="next"` header.
pub fn page<T: Serialize>(
    req: &Request,
    request: &crate::pagination::PageRequest,
    items: &[T],
    next: Option<&str>,
    params: &[(&str, &str)],
) -> Result<HttpResponse> {
    let response = json(200, &items)?;
    match next {
        None => Ok(response),
        Some(next) => with_header(
            response,
            lambda_http::http::header::LINK,
            &crate::pagination::next_link(req.uri().path(), params, request.limit, next),
        ),
    }
}

/// Adds a `Set-Cookie` header.
pub fn with_cookie(response: HttpResponse, cookie: &str) -> Result<HttpResponse> {
    with_header(response, SET_COOKIE, cookie)
}

/// The response for a use case's outcome. Internal errors are logged with their cause
/// chain and answered with an opaque 500.
pub fn respond(result: Result<HttpResponse>) -> HttpResponse {
    result.unwrap_or_else(error_response)
}

pub fn error_response(error: Error) -> HttpResponse {
    if let Error::Internal(cause) = &error {
        tracing::error!(error = ?cause, "request failed");
    }
    let body = serde_json::to_string(&error.body())
        .unwrap_or_else(|_| r#"{"errors":[{"message":"Something went wrong"}]}"#.to_owned());
    with_json_body(error.status(), body)
}

/// Runs a Lambda function whose handler answers every request itself.
pub async fn serve<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(Request) -> Fut,
    Fut: Future<Output = HttpResponse> + Send,
{
    lambda_http::run(service_fn(|req| {
        let response = handler(req);
        async move { Ok::<_, Infallible>(response.await) }
    }))
    .await
}

/// Starts structured (JSON on Lambda) logging, once per cold start.
pub fn init_tracing() {
    lambda_http::tracing::init_default_subscriber();
}

/// The fields of a JSON object body. Each read records what is wrong with its field,
/// so one response lists every bad field.
pub struct JsonFields {
    object: Map<String, Value>,
    errors: Vec<FieldError>,
}

impl JsonFields {
    pub fn from_body(body: &Body) -> Result<Self> {
        match serde_json::from_slice::<Value>(body.as_ref()) {
            Ok(Value::Object(object)) => Ok(Self { object, errors: Vec::new() }),
            Ok(_) => Err(Error::BadRequest("Request body must be a JSON object".to_owned())),
            Err(_) => Err(Error::BadRequest("Request body must be valid JSON".to_owned())),
        }
    }

    /// A required string field, checked by `parse`.
    pub fn string<T>(&mut self, name: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let outcome = match self.object.get(name) {
            None | Some(Value::Null) => Err(format!("{name} is required")),
            Some(Value::String(raw)) => parse(raw),
            Some(_) => Err(format!("{name} must be a string")),
        };
        outcome.map_err(|message| self.errors.push(FieldError::new(name, message))).ok()
    }

    /// An optional string field (absent or `null` is `None`), checked by `parse`.
    pub fn optional_string<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<Option<T>> {
        match self.object.get(name) {
            None | Some(Value::Null) => Some(None),
            Some(_) => self.string(name, parse).map(Some),
        }
    }

    /// A required decimal given as a JSON number or a numeric string, checked by `parse`
    /// on its text (a number is never read through a float).
    pub fn decimal<T>(&mut self, name: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let outcome = match self.object.get(name) {
            None | Some(Value::Null) => Err(format!("{name} is required")),
            Some(Value::String(raw)) => parse(raw),
            Some(Value::Number(number)) => parse(&number.to_string()),
            Some(_) => Err(format!("{name} must be a number")),
        };
        outcome.map_err(|message| self.errors.push(FieldError::new(name, message))).ok()
    }

    /// `parsed` when every field read was valid, otherwise 400 listing every bad field.
    pub fn finish<T>(self, parsed: Option<T>) -> Result<T> {
        match (self.errors.is_empty(), parsed) {
            (true, Some(parsed)) => Ok(parsed),
            (true, None) => Err(Error::Internal(anyhow::anyhow!("a field was not parsed nor reported"))),
            (false, _) => Err(Error::Validation(self.errors)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(body: &str) -> Result<JsonFields> {
        JsonFields::from_body(&Body::Text(body.to_owned()))
    }

    fn non_empty(raw: &str) -> Result<String, String> {
        if raw.is_empty() { Err("must not be empty".into()) } else { Ok(raw.to_owned()) }
    }

    #[test]
    fn bodies_that_are_not_json_objects_are_bad_requests() {
        for body in ["", "not json", "[1,2]", "\"text\"", "{\"a\":"] {
            assert!(matches!(fields(body), Err(Error::BadRequest(_))), "{body:?}");
        }
    }

    #[test]
    fn every_bad_field_is_reported_once() {
        let mut body = fields(r#"{"a": 5, "c": ""}"#).unwrap();
        let a = body.string("a", non_empty);
        let b = body.string("b", non_empty);
        let c = body.string("c", non_empty);
        let Err(Error::Validation(errors)) = body.finish(a.zip(b).zip(c)) else { panic!("expected validation") };
        assert_eq!(
            errors,
            vec![
                FieldError::new("a", "a must be a string"),
                FieldError::new("b", "b is required"),
                FieldError::new("c", "must not be empty"),
            ]
        );
    }

    #[test]
    fn decimals_come_as_numbers_or_numeric_strings() {
        let mut body = fields(r#"{"a": 19.99, "b": "20.5", "c": true, "d": null}"#).unwrap();
        let a = body.decimal("a", non_empty);
        let b = body.decimal("b", non_empty);
        assert_eq!((a.as_deref(), b.as_deref()), (Some("19.99"), Some("20.5")));
        assert_eq!(body.decimal("c", non_empty), None);
        assert_eq!(body.optional_string("d", non_empty), Some(None));
        assert_eq!(body.optional_string("e", non_empty), Some(None));
        let Err(Error::Validation(errors)) = body.finish(Some(())) else { panic!("expected validation") };
        assert_eq!(errors, vec![FieldError::new("c", "c must be a number")]);
    }

    #[test]
    fn valid_fields_come_back_parsed() {
        let mut body = fields(r#"{"a": "x", "extra": true}"#).unwrap();
        let a = body.string("a", non_empty);
        assert_eq!(body.finish(a).unwrap(), "x");
    }
}
