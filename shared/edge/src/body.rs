//! Request bodies: a JSON object read field by field into domain types. Each read records
//! what is wrong with its field, so one response lists every bad field. The routes' own
//! bodies are in [`crate::requests`].

use domain::{Error, FieldError, Result};
use lambda_http::http::header::CONTENT_TYPE;
use lambda_http::{Body, Request};
use std::collections::HashMap;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

pub struct JsonFields {
    object: Map<String, Value>,
    /// Each field's JSON text as sent, so that a number is read exactly.
    literals: HashMap<String, Box<RawValue>>,
    errors: Vec<FieldError>,
}

/// The largest request body a route reads.
pub const MAX_BODY: usize = 64 * 1024;

/// Refuses a body over [`MAX_BODY`] (413) or one that does not say it is JSON (415): a
/// cross-site form post can only send form or plain-text types, so a JSON-only API takes
/// none of them.
pub fn require_json(req: &Request) -> Result<()> {
    if req.body().len() > MAX_BODY {
        return Err(Error::PayloadTooLarge);
    }
    let media_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(str::trim);
    match media_type {
        Some(media_type) if media_type.eq_ignore_ascii_case("application/json") => Ok(()),
        _ => Err(Error::UnsupportedMediaType),
    }
}

impl JsonFields {
    /// The JSON object a request carries, after [`require_json`].
    pub fn from_request(req: &Request) -> Result<Self> {
        require_json(req)?;
        Self::from_body(req.body())
    }

    fn from_body(body: &Body) -> Result<Self> {
        match serde_json::from_slice::<Value>(body.as_ref()) {
            Ok(Value::Object(object)) => {
                let literals = serde_json::from_slice(body.as_ref()).unwrap_or_default();
                Ok(Self { object, literals, errors: Vec::new() })
            }
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

    /// An optional boolean field (absent or `null` is `false`).
    pub fn flag(&mut self, name: &str) -> Option<bool> {
        match self.object.get(name) {
            None | Some(Value::Null) => Some(false),
            Some(Value::Bool(value)) => Some(*value),
            Some(_) => {
                self.errors.push(FieldError::new(name, format!("{name} must be true or false")));
                None
            }
        }
    }

    /// A required decimal given as a JSON number, checked by `number` on its text as sent (a
    /// number is never read through a float), or as a JSON string, checked by `string`.
    pub fn decimal<T>(
        &mut self,
        name: &str,
        number: impl FnOnce(&str) -> Result<T, String>,
        string: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let outcome = match self.object.get(name) {
            None | Some(Value::Null) => Err(format!("{name} is required")),
            Some(Value::Number(value)) => match self.literals.get(name) {
                Some(literal) => number(literal.get()),
                None => number(&value.to_string()),
            },
            Some(Value::String(raw)) => string(raw),
            Some(_) => Err(format!("{name} must be a number or a decimal string")),
        };
        outcome.map_err(|message| self.errors.push(FieldError::new(name, message))).ok()
    }

    /// A required whole number (a JSON integer, not negative), checked by `parse`.
    pub fn integer<T>(&mut self, name: &str, parse: impl FnOnce(u64) -> Result<T, String>) -> Option<T> {
        let outcome = match self.object.get(name) {
            None | Some(Value::Null) => Err(format!("{name} is required")),
            // A whole number however written (`48213`, `48213.0`, `4.8213e4`), as JSON Schema's
            // `integer` reads it.
            Some(Value::Number(number)) => match number.as_u64().or_else(|| whole(number.as_f64()?)) {
                Some(value) => parse(value),
                None => Err(format!("{name} must be a whole number")),
            },
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

/// `value` if it is a whole number that a `u64` holds exactly.
fn whole(value: f64) -> Option<u64> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    (value.fract() == 0.0 && (0.0..=EXACT).contains(&value)).then_some(value as u64)
}

/// An id as sent: non-empty, no longer than any id ([`crate::http::MAX_ID_LEN`]).
pub fn id(raw: &str) -> Result<String, String> {
    match raw.len() {
        0 => Err("must not be empty".to_owned()),
        len if len > crate::http::MAX_ID_LEN => Err("is too long to be an id".to_owned()),
        _ => Ok(raw.to_owned()),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn non_empty(raw: &str) -> Result<String, String> {
        let value = raw.trim();
        if value.is_empty() { Err("must not be empty".to_owned()) } else { Ok(value.to_owned()) }
    }

    fn fields(body: &str) -> Result<JsonFields> {
        JsonFields::from_body(&Body::Text(body.to_owned()))
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
    fn decimals_come_as_json_numbers_or_strings_each_read_by_its_own_rule() {
        let number = |raw: &str| Ok(format!("number {raw}"));
        let string = |raw: &str| Ok(format!("string {raw}"));
        let mut body = fields(r#"{"a": 19.99, "b": "20.5", "c": true, "d": null}"#).unwrap();
        assert_eq!(body.decimal("a", number, string).as_deref(), Some("number 19.99"));
        assert_eq!(body.decimal("b", number, string).as_deref(), Some("string 20.5"));
        assert_eq!(body.decimal("c", number, string), None);
        assert_eq!(body.optional_string("d", non_empty), Some(None));
        assert_eq!(body.optional_string("e", non_empty), Some(None));
        let Err(Error::Validation(errors)) = body.finish(Some(())) else { panic!("expected validation") };
        assert_eq!(errors, vec![FieldError::new("c", "c must be a number or a decimal string")]);
    }

    #[test]
    fn valid_fields_come_back_parsed_and_unknown_ones_are_ignored() {
        let mut body = fields(r#"{"a": "x", "extra": true}"#).unwrap();
        let a = body.string("a", non_empty);
        assert_eq!(body.finish(a).unwrap(), "x");
    }

    pub(crate) fn json_request(content_type: Option<&str>, body: &str) -> Request {
        let mut builder = lambda_http::http::Request::builder();
        if let Some(content_type) = content_type {
            builder = builder.header(CONTENT_TYPE, content_type);
        }
        builder.body(Body::Text(body.to_owned())).unwrap()
    }

    #[test]
    fn only_json_bodies_up_to_64_kib_are_read() {
        let object = r#"{"a":"x"}"#;
        for content_type in ["application/json", "Application/JSON; charset=utf-8"] {
            assert!(JsonFields::from_request(&json_request(Some(content_type), object)).is_ok(), "{content_type}");
        }
        for content_type in
            [None, Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("multipart/form-data")]
        {
            let outcome = JsonFields::from_request(&json_request(content_type, object));
            assert!(matches!(outcome, Err(Error::UnsupportedMediaType)), "{content_type:?}");
        }
        let padded = format!(r#"{{"a":"{}"}}"#, "x".repeat(MAX_BODY - 7));
        assert_eq!(padded.len(), MAX_BODY + 1);
        assert!(matches!(JsonFields::from_request(&json_request(None, &padded)), Err(Error::PayloadTooLarge)));
        let fits = format!(r#"{{"a":"{}"}}"#, "x".repeat(MAX_BODY - 8));
        assert_eq!(fits.len(), MAX_BODY);
        assert!(JsonFields::from_request(&json_request(Some("application/json"), &fits)).is_ok());
    }
}
