//! Tickets: what a seller lists, and the rules for creating, editing, deleting and listing.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::events::{Event, EventType};
use crate::http::JsonFields;
use crate::money::{self, Money};
use crate::pagination::{Page, PageRequest};
use crate::ports::TicketStore;
use crate::users::UserId;

ulid_id!(
    /// Opaque ticket id.
    TicketId
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TicketStatus {
    Available,
    Reserved,
    Sold,
}

/// A ticket as stored. `version` starts at 0 and every write adds one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: TicketId,
    pub title: String,
    /// In minor units of `currency`.
    pub price: Money,
    pub currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue: Option<String>,
    pub user_id: UserId,
    pub status: TicketStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// While reserved: when the holding order's reservation lapses. From then on the
    /// ticket may be ordered again, whether or not the expiry has run yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserved_until: Option<DateTime<Utc>>,
    pub version: u64,
    pub created_at: DateTime<Utc>,
}

/// A ticket as clients and event consumers see it: `price` a decimal amount.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketView<'a> {
    pub id: &'a TicketId,
    pub title: &'a str,
    #[serde(serialize_with = "money::serialize_decimal")]
    pub price: Money,
    pub currency: &'a str,
    pub date: Option<String>,
    pub venue: Option<&'a str>,
    pub user_id: &'a UserId,
    pub status: TicketStatus,
    pub order_id: Option<&'a str>,
    pub version: u64,
    pub created_at: String,
}

/// A time as the API shows it: RFC 3339, UTC, milliseconds.
pub(crate) fn timestamp(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Ticket {
    pub fn view(&self) -> TicketView<'_> {
        TicketView {
            id: &self.id,
            title: &self.title,
            price: self.price,
            currency: &self.currency,
            date: self.date.as_ref().map(timestamp),
            venue: self.venue.as_deref(),
            user_id: &self.user_id,
            status: self.status,
            order_id: self.order_id.as_deref(),
            version: self.version,
            created_at: timestamp(&self.created_at),
        }
    }

    pub fn event(&self, kind: EventType, now: DateTime<Utc>) -> Result<Event> {
        Event::new(kind, self.version, &self.view(), now)
    }
}

/// What a seller says about a ticket, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketDraft {
    pub title: String,
    pub price: Money,
    pub date: Option<DateTime<Utc>>,
    pub venue: Option<String>,
}

impl TicketDraft {
    pub const MAX_TITLE: usize = 120;
    pub const MAX_VENUE: usize = 200;

    /// Reads `{title, price, date?, venue?}`, recording every bad field in `body`.
    pub fn read(body: &mut JsonFields, now: DateTime<Utc>) -> Option<Self> {
        let title = body.string("title", parse_title);
        let price = body.decimal("price", Money::parse_decimal);
        let date = body.optional_string("date", |raw| parse_date(raw, now));
        let venue = body.optional_string("venue", parse_venue);
        let (((title, price), date), venue) = title.zip(price).zip(date).zip(venue)?;
        Some(Self { title, price, date, venue: venue.flatten() })
    }
}

fn parse_title(raw: &str) -> Result<String, String> {
    let title = raw.trim();
    match title.chars().count() {
        1..=TicketDraft::MAX_TITLE => Ok(title.to_owned()),
        _ => Err(format!("Title must be 1 to {} characters", TicketDraft::MAX_TITLE)),
    }
}

fn parse_venue(raw: &str) -> Result<Option<String>, String> {
    let venue = raw.trim();
    match venue.chars().count() {
        0 => Ok(None),
        1..=TicketDraft::MAX_VENUE => Ok(Some(venue.to_owned())),
        _ => Err(format!("Venue must be at most {} characters", TicketDraft::MAX_VENUE)),
    }
}

fn parse_date(raw: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let date = DateTime::parse_from_rfc3339(raw.trim())
        .map_err(|_| "Date must be an ISO 8601 date-time such as 2027-06-01T20:00:00Z".to_owned())?
        .with_timezone(&Utc);
    if date > now { Ok(date) } else { Err("Date must be in the future".to_owned()) }
}

/// Which tickets a listing shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketFilter {
    /// Tickets that can be bought now: neither reserved nor sold.
    Available,
    /// One seller's tickets, in every state.
    Seller(UserId),
}

const NOT_FOUND: Error = Error::NotFound("Ticket not found");

pub async fn create(store: &impl TicketStore, seller: UserId, draft: TicketDraft) -> Result<Ticket> {
    let now = Utc::now();
    let ticket = Ticket {
        id: TicketId::generate(),
        title: draft.title,
        price: draft.price,
        currency: money::CURRENCY.to_owned(),
        date: draft.date,
        venue: draft.venue,
        user_id: seller,
        status: TicketStatus::Available,
        order_id: None,
        reserved_until: None,
        version: 0,
        created_at: now,
    };
    store.create(&ticket, &ticket.event(EventType::TicketCreated, now)?).await?;
    Ok(ticket)
}

pub async fn get(store: &impl TicketStore, id: &str) -> Result<Ticket> {
    let id = TicketId::parse(id).ok_or(NOT_FOUND)?;
    store.get(&id).await?.ok_or(NOT_FOUND)
}

/// The ticket `user` may change: it exists, is theirs, and is neither reserved nor sold.
async fn editable(store: &impl TicketStore, user: &UserId, id: &str) -> Result<Ticket> {
    let ticket = get(store, id).await?;
    if &ticket.user_id != user {
        return Err(Error::Forbidden("You do not own this ticket"));
    }
    if ticket.status != TicketStatus::Available {
        return Err(Error::Conflict("Cannot edit a reserved ticket"));
    }
    Ok(ticket)
}

/// Replaces the seller's fields. The write is conditional on the version read, so a
/// concurrent edit or reservation makes this one fail with a conflict.
pub async fn update(store: &impl TicketStore, user: &UserId, id: &str, draft: TicketDraft) -> Result<Ticket> {
    let current = editable(store, user, id).await?;
    let updated = Ticket {
        title: draft.title,
        price: draft.price,
        date: draft.date,
        venue: draft.venue,
        version: current.version + 1,
        ..current.clone()
    };
    store.replace(&updated, current.version, &updated.event(EventType::TicketUpdated, Utc::now())?).await?;
    Ok(updated)
}

pub async fn delete(store: &impl TicketStore, user: &UserId, id: &str) -> Result<()> {
    let current = editable(store, user, id).await?;
    let gone = Ticket { version: current.version + 1, ..current.clone() };
    store.delete(&current, &gone.event(EventType::TicketDeleted, Utc::now())?).await
}

/// Newest first.
pub async fn list(store: &impl TicketStore, filter: &TicketFilter, page: &PageRequest) -> Result<Page<Ticket>> {
    store.list(filter, page).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> Result<TicketDraft> {
        let mut body = JsonFields::from_body(&lambda_http::Body::Text(json.to_owned())).unwrap();
        let draft = TicketDraft::read(&mut body, "2026-11-26T00:00:00Z".parse().unwrap());
        body.finish(draft)
    }

    #[test]
    fn a_draft_is_trimmed_and_priced_in_minor_units() {
        let draft =
            read(r#"{"title":"  Concert ","price":"19.99","date":"2027-01-01T20:00:00+01:00","venue":" Hall "}"#)
                .unwrap();
        assert_eq!(draft.title, "Concert");
        assert_eq!(draft.price.minor(), 1999);
        assert_eq!(draft.date.unwrap().to_rfc3339(), "2027-01-01T19:00:00+00:00");
        assert_eq!(draft.venue.as_deref(), Some("Hall"));
        assert_eq!(read(r#"{"title":"x","price":20}"#).unwrap().price.minor(), 2000);
    }

    #[test]
    fn every_bad_field_is_reported() {
        let long = "x".repeat(121);
        let Err(Error::Validation(errors)) = read(&format!(
            r#"{{"title":"{long}","price":-1,"date":"2020-01-01T00:00:00Z","venue":"{}"}}"#,
            "v".repeat(201)
        )) else {
            panic!("expected validation errors")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_deref().unwrap()).collect();
        assert_eq!(fields, ["title", "price", "date", "venue"]);
    }

    #[test]
    fn a_date_must_be_a_date_time() {
        assert!(read(r#"{"title":"x","price":1,"date":"next friday"}"#).is_err());
        assert!(read(r#"{"title":"x","price":1,"date":"2027-01-01"}"#).is_err());
        assert!(read(r#"{"title":"   ","price":1}"#).is_err());
    }

    #[test]
    fn ticket_ids_are_ulids_and_nothing_else() {
        let id = TicketId::generate();
        assert_eq!(TicketId::parse(id.as_str()), Some(id));
        for bad in ["", "42", "not-a-ticket", "01KAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "01kaaaaaaaaaaaaaaaaaaaaaaa"] {
            assert_eq!(TicketId::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_view_prints_price_as_a_decimal_and_times_in_utc() {
        let ticket = Ticket {
            id: TicketId::generate(),
            title: "Concert".into(),
            price: Money::from_minor(1999),
            currency: "usd".into(),
            date: None,
            venue: None,
            user_id: UserId::from("01JSELLER".to_owned()),
            status: TicketStatus::Available,
            order_id: None,
            reserved_until: None,
            version: 0,
            created_at: "2026-11-26T09:30:00Z".parse().unwrap(),
        };
        let json = serde_json::to_value(ticket.view()).unwrap();
        assert_eq!(json["price"].to_string(), "19.99");
        assert_eq!(json["createdAt"], "2026-11-26T09:30:00.000Z");
        assert_eq!(json["userId"], "01JSELLER");
        assert!(json["orderId"].is_null() && json["date"].is_null());
        assert_eq!(json["status"], "available");
    }
}
