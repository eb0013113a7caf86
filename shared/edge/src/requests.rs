//! Each route's request body, read with [`crate::body::JsonFields`] into domain types (the
//! documentation of those not read into a type of their own is in the contract crate).

use chrono::{DateTime, Utc};
use domain::Result;
use domain::entities::{Email, Password, TicketDraft};
use domain::money::Money;
use lambda_http::Request;

use crate::body::{JsonFields, id};

/// `{email, password}`, the password checked by `password` (a new account's rules, or any
/// non-empty candidate at sign-in): [`NewAccount`] or [`SignIn`].
pub fn credentials(req: &Request, password: fn(&str) -> Result<Password, String>) -> Result<(Email, Password)> {
    let mut fields = JsonFields::from_request(req)?;
    let email = fields.string("email", Email::parse);
    let password = fields.string("password", password);
    fields.finish(email.zip(password))
}

/// The address a password reset is asked for (`{email}`).
pub fn reset_request(req: &Request) -> Result<Email> {
    let mut fields = JsonFields::from_request(req)?;
    let email = fields.string("email", Email::parse);
    fields.finish(email)
}

/// A reset's token and the new password (`{token, password}`), under sign-up's rules.
pub fn reset_confirmation(req: &Request) -> Result<(String, Password)> {
    let mut fields = JsonFields::from_request(req)?;
    let token = fields.string("token", token);
    let password = fields.string("password", Password::parse);
    fields.finish(token.zip(password))
}

/// An e-mail verification's token (`{token}`).
pub fn verification(req: &Request) -> Result<String> {
    let mut fields = JsonFields::from_request(req)?;
    let token = fields.string("token", token);
    fields.finish(token)
}

/// A single-use token as a mail's link carried it.
fn token(raw: &str) -> Result<String, String> {
    match raw.trim() {
        "" => Err("token is required".to_owned()),
        token if token.len() > 200 => Err("token is longer than any token".to_owned()),
        token => Ok(token.to_owned()),
    }
}

/// Whether a sign-out ([`SignOut`]) asks to end every session.
pub fn sign_out(req: &Request) -> Result<bool> {
    let mut fields = JsonFields::from_request(req)?;
    let everywhere = fields.flag("everywhere");
    fields.finish(everywhere)
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
    // Its pattern, `ids::ULID_PATTERN`, is set by the contract crate.
    #[cfg_attr(feature = "openapi", schema(example = "01KB0SAMP1E0T1CKET0000000A"))]
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
    // Its pattern, `ids::ULID_PATTERN`, is set by the contract crate.
    #[cfg_attr(feature = "openapi", schema(example = "01KB0SAMP1E00RDER000000000"))]
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
    use domain::Error;

    fn draft(json: &str) -> Result<TicketDraft> {
        ticket_draft(
            &crate::body::tests::json_request(Some("application/json"), json),
            "2026-11-26T00:00:00Z".parse().unwrap(),
        )
    }

    #[test]
    fn a_files_size_is_a_whole_number_however_it_is_written() {
        let size = |json: &str| {
            let body = format!(r#"{{"fileName":"t.pdf","contentType":"application/pdf","size":{json}}}"#);
            file_draft(&crate::body::tests::json_request(Some("application/json"), &body)).map(|draft| draft.size)
        };
        for written in ["48213", "48213.0", "4.8213e4"] {
            assert_eq!(size(written).unwrap(), 48213, "{written}");
        }
        for bad in ["48213.5", "-1", "0", "5242881", "\"48213\"", "1e300"] {
            assert!(size(bad).is_err(), "{bad}");
        }
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
