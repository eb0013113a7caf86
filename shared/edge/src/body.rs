//! Request bodies: a JSON object read field by field into domain types. Each read records
//! what is wrong with its field, so one response lists every bad field.

use chrono::{DateTime, Utc};
use domain::entities::{Email, Password, TicketDraft};
use domain::money::Money;
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

/// `{email, password}` of a new account.
#[cfg(feature = "openapi")]
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct NewAccount {
    // Its pattern, `Email::PATTERN`, is set by the contract crate.
    /// Trimmed and lower-cased; at most 254 characters.
    #[schema(max_length = 254, example = "ada@example.com")]
    email: String,
    /// 8 to 128 characters.
    #[schema(min_length = 8, max_length = 128, example = "correct horse battery")]
    password: String,
}

/// `{email, password}` offered at sign-in.
#[cfg(feature = "openapi")]
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct SignIn {
    #[schema(max_length = 254, example = "ada@example.com")]
    email: String,
    /// Whatever was set at sign-up.
    #[schema(min_length = 1, example = "correct horse battery")]
    password: String,
}

/// `{email, password}`, the password checked by `password` (a new account's rules, or any
/// non-empty candidate at sign-in): [`NewAccount`] or [`SignIn`].
pub fn credentials(req: &Request, password: fn(&str) -> Result<Password, String>) -> Result<(Email, Password)> {
    let mut fields = JsonFields::from_request(req)?;
    let email = fields.string("email", Email::parse);
    let password = fields.string("password", password);
    fields.finish(email.zip(password))
}

/// `{everywhere?}` of a sign-out: `true` ends every session of the account, not only this one.
#[cfg(feature = "openapi")]
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct SignOut {
    /// Sign out on every device: every session issued so far stops working for payments,
    /// payouts and sign-out, at once, and everywhere else when it expires.
    #[schema(default = false)]
    everywhere: Option<bool>,
}

/// Whether a sign-out ([`SignOut`]) asks to end every session.
pub fn sign_out(req: &Request) -> Result<bool> {
    let mut fields = JsonFields::from_request(req)?;
    let everywhere = fields.flag("everywhere");
    fields.finish(everywhere)
}

/// `{title, price, date?, venue?}`: what a seller says about a ticket.
#[cfg(feature = "openapi")]
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct TicketDraftBody {
    /// 1 to 120 characters once the spaces around them are trimmed.
    #[schema(example = "Concert", pattern = r"^[ \t\n\r]*[^ \t\n\r]([\s\S]{0,118}[^ \t\n\r])?[ \t\n\r]*$")]
    title: String,
    // A JSON number or a decimal string: its schema (`anyOf` the two forms, the string's
    // pattern `Money::DECIMAL_STRING_PATTERN`) is set by the contract crate.
    #[schema(value_type = f64)]
    price: Money,
    /// When the event takes place: an RFC 3339 date-time in the future.
    #[schema(value_type = Option<String>, format = DateTime, example = "2030-06-01T20:00:00Z")]
    date: Option<String>,
    /// Up to 200 characters once the spaces around them are trimmed; blank is no venue.
    #[schema(
        example = "Royal Albert Hall",
        pattern = r"^[ \t\n\r]*([^ \t\n\r]([\s\S]{0,198}[^ \t\n\r])?)?[ \t\n\r]*$"
    )]
    venue: Option<String>,
}

/// A [`TicketDraftBody`], validated.
pub fn ticket_draft(req: &Request, now: DateTime<Utc>) -> Result<TicketDraft> {
    let mut fields = JsonFields::from_request(req)?;
    let title = fields.string("title", TicketDraft::parse_title);
    let price = fields.decimal("price", Money::parse_decimal, Money::parse_decimal_string);
    let date = fields.optional_string("date", |raw| TicketDraft::parse_date(raw, now));
    let venue = fields.optional_string("venue", TicketDraft::parse_venue);
    let draft = title.zip(price).zip(date).zip(venue).map(|(((title, price), date), venue)| TicketDraft {
        title,
        price,
        date,
        venue: venue.flatten(),
    });
    fields.finish(draft)
}

/// `{fileName, contentType, size}`: the file a seller is about to upload for a ticket.
#[cfg(feature = "openapi")]
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct FileUploadBody {
    /// The name it is saved under when downloaded: 1 to 200 characters, no control
    /// characters; folders before a `/` or `\` are dropped, and the spaces around it.
    #[schema(
        example = "ticket.pdf",
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\x00-\x1f\x7f-\x9f/\\ ] *$"
    )]
    file_name: String,
    content_type: domain::entities::FileType,
    /// The exact size in bytes, at most 5 MB: the upload URL accepts this size only.
    #[schema(example = 48213, minimum = 1, maximum = 5242880)]
    size: u64,
}

/// A [`FileUploadBody`], validated.
pub fn file_draft(req: &Request) -> Result<domain::entities::FileDraft> {
    use domain::entities::FileDraft;
    let mut fields = JsonFields::from_request(req)?;
    let name = fields.string("fileName", FileDraft::parse_name);
    let content_type = fields.string("contentType", FileDraft::parse_type);
    let size = fields.integer("size", FileDraft::parse_size);
    let draft =
        name.zip(content_type).zip(size).map(|((name, content_type), size)| FileDraft { name, content_type, size });
    fields.finish(draft)
}

/// `{ticketId}`: the ticket to order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
pub struct OrderRequest {
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^[0-7][0-9A-HJKMNP-TV-Z]{25}$", example = "01KB0SAMP1E0T1CKET0000000A")
    )]
    pub ticket_id: String,
}

/// An [`OrderRequest`].
pub fn order_request(req: &Request) -> Result<OrderRequest> {
    let mut fields = JsonFields::from_request(req)?;
    let ticket_id = fields.string("ticketId", |raw| id(raw).map_err(|reason| format!("ticketId {reason}")));
    fields.finish(ticket_id.map(|ticket_id| OrderRequest { ticket_id }))
}

/// `{orderId, token?}`: the order to pay for, and a card (a Stripe PaymentMethod or token)
/// to charge at once; without one, the order's PaymentIntent comes back for Stripe.js.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(rename_all = "camelCase"))]
pub struct PaymentRequest {
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^[0-7][0-9A-HJKMNP-TV-Z]{25}$", example = "01KB0SAMP1E00RDER000000000")
    )]
    pub order_id: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 255, example = "pm_card_visa"))]
    pub token: Option<String>,
}

/// A [`PaymentRequest`].
pub fn payment_request(req: &Request) -> Result<PaymentRequest> {
    let mut fields = JsonFields::from_request(req)?;
    let order_id = fields.string("orderId", |raw| id(raw).map_err(|reason| format!("orderId {reason}")));
    let token = fields.optional_string("token", |raw| match raw.len() {
        0 => Err("token must not be empty".to_owned()),
        256.. => Err("token is too long".to_owned()),
        _ => Ok(raw.to_owned()),
    });
    fields.finish(order_id.zip(token).map(|(order_id, token)| PaymentRequest { order_id, token }))
}

/// `{message}`: what went wrong with a complete order, in at most
/// [`domain::payouts::PROBLEM_MESSAGE_MAX`] characters (trimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProblemReport {
    // Its length limit is set by the contract crate, from the domain's.
    #[cfg_attr(feature = "openapi", schema(example = "The seller never sent the ticket."))]
    pub message: String,
}

/// A [`ProblemReport`].
pub fn problem_report(req: &Request) -> Result<ProblemReport> {
    let mut fields = JsonFields::from_request(req)?;
    let message = fields.string("message", |raw| {
        // Spaces, tabs and line breaks around it, as the contract's pattern says.
        let message = domain::entities::trim_ascii_space(raw);
        if message.is_empty() {
            return Err("message must not be empty".to_owned());
        }
        if message.chars().count() > domain::payouts::PROBLEM_MESSAGE_MAX {
            return Err(format!("message must be at most {} characters", domain::payouts::PROBLEM_MESSAGE_MAX));
        }
        Ok(message.to_owned())
    });
    fields.finish(message.map(|message| ProblemReport { message }))
}

#[cfg(test)]
mod tests {
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

    fn json_request(content_type: Option<&str>, body: &str) -> Request {
        let mut builder = lambda_http::http::Request::builder();
        if let Some(content_type) = content_type {
            builder = builder.header(CONTENT_TYPE, content_type);
        }
        builder.body(Body::Text(body.to_owned())).unwrap()
    }

    fn draft(json: &str) -> Result<TicketDraft> {
        ticket_draft(&json_request(Some("application/json"), json), "2026-11-26T00:00:00Z".parse().unwrap())
    }

    #[test]
    fn a_files_size_is_a_whole_number_however_it_is_written() {
        let size = |json: &str| {
            let body = format!(r#"{{"fileName":"t.pdf","contentType":"application/pdf","size":{json}}}"#);
            file_draft(&json_request(Some("application/json"), &body)).map(|draft| draft.size)
        };
        for written in ["48213", "48213.0", "4.8213e4"] {
            assert_eq!(size(written).unwrap(), 48213, "{written}");
        }
        for bad in ["48213.5", "-1", "0", "5242881", "\"48213\"", "1e300"] {
            assert!(size(bad).is_err(), "{bad}");
        }
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

    #[test]
    fn a_draft_is_trimmed_and_priced_in_minor_units() {
        let parsed =
            draft(r#"{"title":"  Concert ","price":19.99,"date":"2027-01-01T20:00:00+01:00","venue":" Hall "}"#)
                .unwrap();
        assert_eq!((parsed.title.as_str(), parsed.price.minor()), ("Concert", 1999));
        assert_eq!(parsed.date.unwrap().to_rfc3339(), "2027-01-01T19:00:00+00:00");
        assert_eq!(parsed.venue.as_deref(), Some("Hall"));
        assert_eq!(draft(r#"{"title":"x","price":20}"#).unwrap().price.minor(), 2000);
        assert_eq!(draft(r#"{"title":"x","price":1e2}"#).unwrap().price.minor(), 10_000, "exactly 100");
    }

    #[test]
    fn a_number_is_read_from_its_literal_never_through_a_float() {
        for price in ["19.999999999999999", "19.990000000000001", "1.0000000000000001e1", "1000000"] {
            let outcome = draft(&format!(r#"{{"title":"x","price":{price}}}"#));
            assert!(matches!(outcome, Err(Error::Validation(_))), "{price} was accepted: {outcome:?}");
        }
        assert_eq!(draft(r#"{"title":"x","price":999999.99}"#).unwrap().price.minor(), 99_999_999);
    }

    #[test]
    fn every_bad_draft_field_is_reported_in_order() {
        let long = "x".repeat(121);
        let Err(Error::Validation(errors)) = draft(&format!(
            r#"{{"title":"{long}","price":-1,"date":"2020-01-01T00:00:00Z","venue":"{}"}}"#,
            "v".repeat(201)
        )) else {
            panic!("expected validation errors")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_deref().unwrap()).collect();
        assert_eq!(fields, ["title", "price", "date", "venue"]);
    }
}
