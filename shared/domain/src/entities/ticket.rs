//! A ticket: what a seller lists, and the states it goes through (available, reserved by
//! an order, sold).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::events::{Event, EventType};
use crate::ids::{OrderId, TicketId, UserId};
use crate::money::{self, Money};
use crate::time::timestamp;

use super::payout_terms::PayoutTerms;
use super::ticket_file::{FileView, PendingUpload, TicketFile};
use super::user::trim_ascii_space;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TicketStatus {
    Available,
    Reserved,
    Sold,
}

/// A ticket as stored. `version` starts at 0 and every transition adds one.
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
    /// The order holding (reserved) or having bought (sold) the ticket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<OrderId>,
    /// While reserved: when the holding order's reservation lapses. From then on the
    /// ticket may be ordered again, whether or not the expiry has run yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserved_until: Option<DateTime<Utc>>,
    pub version: u64,
    /// The version of what a buyer agrees to (title, price, date, venue): starts at 0 and
    /// goes up with every edit that changes one of them. An order records the terms it was
    /// placed at, and is completed only at those.
    #[serde(default)]
    pub terms: u64,
    /// Who last let the ticket go (cancelled, or let the reservation lapse), and when: they
    /// wait a cool-down before ordering it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub let_go: Option<LetGo>,
    /// The fee and hold its seller agreed to when listing it: its sale is paid out on them.
    #[serde(default = "PayoutTerms::before_fees")]
    pub payout_terms: PayoutTerms,
    /// The ticket's file, once its upload passed the check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<TicketFile>,
    /// The upload the seller was last given a URL for, until its bytes are checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload: Option<PendingUpload>,
    pub created_at: DateTime<Utc>,
}

/// A buyer let a reservation of the ticket go at `at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LetGo {
    pub buyer: UserId,
    pub at: DateTime<Utc>,
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

    /// 1 to 120 characters, the spaces around them trimmed.
    pub fn parse_title(raw: &str) -> Result<String, String> {
        let title = trim_ascii_space(raw);
        match title.chars().count() {
            1..=Self::MAX_TITLE => Ok(title.to_owned()),
            _ => Err(format!("Title must be 1 to {} characters", Self::MAX_TITLE)),
        }
    }

    /// Up to 200 characters, the spaces around them trimmed; blank is no venue.
    pub fn parse_venue(raw: &str) -> Result<Option<String>, String> {
        let venue = trim_ascii_space(raw);
        match venue.chars().count() {
            0 => Ok(None),
            1..=Self::MAX_VENUE => Ok(Some(venue.to_owned())),
            _ => Err(format!("Venue must be at most {} characters", Self::MAX_VENUE)),
        }
    }

    /// An RFC 3339 date-time after `now`.
    pub fn parse_date(raw: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
        let invalid = || "Date must be an ISO 8601 date-time such as 2027-06-01T20:00:00Z".to_owned();
        // RFC 3339's own grammar, as the API's document states it (`format: date-time`): chrono
        // also reads a space between date and time, and a Unicode minus in the offset.
        if !raw.is_ascii() || !matches!(raw.as_bytes().get(10), Some(b'T' | b't')) {
            return Err(invalid());
        }
        let date = DateTime::parse_from_rfc3339(raw).map_err(|_| invalid())?.with_timezone(&Utc);
        if date > now { Ok(date) } else { Err("Date must be in the future".to_owned()) }
    }
}

/// A ticket as clients and event consumers see it: `price` a decimal amount.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketView<'a> {
    pub id: &'a TicketId,
    pub title: &'a str,
    #[serde(serialize_with = "money::serialize_decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = f64, example = 19.99))]
    pub price: Money,
    pub currency: &'a str,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub date: Option<String>,
    pub venue: Option<&'a str>,
    pub user_id: &'a UserId,
    pub status: TicketStatus,
    pub order_id: Option<&'a OrderId>,
    pub version: u64,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
    /// The ticket's file (null: none yet), shown to its seller and, once the sale is
    /// complete, its buyer only; absent for everyone else.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<FileView>))]
    pub file: Option<Option<FileView>>,
}

impl Ticket {
    /// A new listing of `seller`'s, available, to be paid out on `terms`.
    pub fn list(seller: UserId, draft: TicketDraft, terms: PayoutTerms, now: DateTime<Utc>) -> Ticket {
        Ticket {
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
            terms: 0,
            let_go: None,
            payout_terms: terms,
            file: None,
            upload: None,
            created_at: now,
        }
    }

    /// The seller's fields replaced by `draft`; new terms if any of them changed.
    pub fn edit(&self, draft: TicketDraft) -> Ticket {
        let same =
            (&self.title, self.price, self.date, &self.venue) == (&draft.title, draft.price, draft.date, &draft.venue);
        Ticket {
            terms: if same { self.terms } else { self.terms + 1 },
            title: draft.title,
            price: draft.price,
            date: draft.date,
            venue: draft.venue,
            version: self.version + 1,
            ..self.clone()
        }
    }

    /// Reserved by `order` until `until`, when its reservation lapses.
    pub fn reserve_for(&self, order: &OrderId, until: DateTime<Utc>) -> Ticket {
        Ticket {
            status: TicketStatus::Reserved,
            order_id: Some(order.clone()),
            reserved_until: Some(until),
            version: self.version + 1,
            ..self.clone()
        }
    }

    /// Available again.
    pub fn release(&self) -> Ticket {
        Ticket {
            status: TicketStatus::Available,
            order_id: None,
            reserved_until: None,
            version: self.version + 1,
            ..self.clone()
        }
    }

    /// Available again, let go by `buyer` at `at` (the order held it, and ended unpaid).
    pub fn let_go_by(&self, buyer: &UserId, at: DateTime<Utc>) -> Ticket {
        Ticket { let_go: Some(LetGo { buyer: buyer.clone(), at }), ..self.release() }
    }

    /// When `buyer` last let the ticket go, if they did: an open reservation of theirs that
    /// lapsed counts from its lapse.
    pub fn let_go_by_at(&self, buyer: &UserId, holder: Option<&UserId>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.reservation_lapsed(now) && holder == Some(buyer) {
            return self.reserved_until;
        }
        self.let_go.as_ref().filter(|let_go| &let_go.buyer == buyer).map(|let_go| let_go.at)
    }

    /// Sold to `order`.
    pub fn sell_to(&self, order: &OrderId) -> Ticket {
        Ticket {
            status: TicketStatus::Sold,
            order_id: Some(order.clone()),
            reserved_until: None,
            version: self.version + 1,
            ..self.clone()
        }
    }

    /// Reserved by `order` (whether or not its reservation has lapsed).
    pub fn is_held_by(&self, order: &OrderId) -> bool {
        self.status == TicketStatus::Reserved && self.order_id.as_ref() == Some(order)
    }

    /// Its event has taken place (or is taking place) at `now`: it can no longer be bought.
    pub fn is_past(&self, now: DateTime<Utc>) -> bool {
        self.date.is_some_and(|date| date <= now)
    }

    /// Listed for sale at `now`: not sold, and its event still to come (or undated).
    pub fn is_open_listing(&self, now: DateTime<Utc>) -> bool {
        self.status != TicketStatus::Sold && !self.is_past(now)
    }

    /// The ticket as anyone sees it at `now`: a reservation that has lapsed reads available,
    /// whether or not the expiry has run yet (the version is the stored one).
    pub fn effective(&self, now: DateTime<Utc>) -> Ticket {
        if self.reservation_lapsed(now) {
            Ticket { status: TicketStatus::Available, order_id: None, reserved_until: None, ..self.clone() }
        } else {
            self.clone()
        }
    }

    /// Reserved, and the reservation lapsed at or before `now`.
    pub fn reservation_lapsed(&self, now: DateTime<Utc>) -> bool {
        self.status == TicketStatus::Reserved && self.reserved_until.is_some_and(|until| until <= now)
    }

    /// Waiting for the bytes of `upload` (an earlier upload not checked yet is forgotten).
    pub fn awaiting(&self, upload: PendingUpload) -> Ticket {
        Ticket { upload: Some(upload), version: self.version + 1, ..self.clone() }
    }

    /// With the file its pending upload became (replacing any earlier one).
    pub fn attach(&self, file: TicketFile) -> Ticket {
        Ticket { file: Some(file), upload: None, version: self.version + 1, ..self.clone() }
    }

    /// Its pending upload failed the check: none is pending.
    pub fn upload_failed(&self) -> Ticket {
        Ticket { upload: None, version: self.version + 1, ..self.clone() }
    }

    /// Sold, with a file: what its buyer came for can be delivered.
    pub fn is_delivered(&self) -> bool {
        self.status == TicketStatus::Sold && self.file.is_some()
    }

    /// The view with its file, for the seller or the buyer.
    pub fn view_with_file(&self) -> TicketView<'_> {
        TicketView { file: Some(self.file.as_ref().map(TicketFile::view)), ..self.view() }
    }

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
            order_id: self.order_id.as_ref(),
            version: self.version,
            created_at: timestamp(&self.created_at),
            file: None,
        }
    }

    pub fn event(&self, kind: EventType, now: DateTime<Utc>) -> Result<Event> {
        Event::new(kind, self.version, &self.view(), now)
    }
}

/// Which tickets a listing shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketFilter {
    /// Tickets that can be bought at this time: neither sold nor held by a live reservation,
    /// for an event still to come.
    Available(DateTime<Utc>),
    /// One seller's tickets, in every state.
    Seller(UserId),
}

impl TicketFilter {
    /// Whether the listing shows `ticket`.
    pub fn keeps(&self, ticket: &Ticket) -> bool {
        match self {
            TicketFilter::Available(now) => {
                ticket.effective(*now).status == TicketStatus::Available && !ticket.is_past(*now)
            }
            TicketFilter::Seller(seller) => &ticket.user_id == seller,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn concert() -> Ticket {
        let draft = TicketDraft { title: "Concert".into(), price: Money::from_minor(1999), date: None, venue: None };
        Ticket::list(UserId::from("01JSELLER"), draft, Default::default(), "2026-11-26T09:30:00Z".parse().unwrap())
    }

    #[test]
    fn fields_are_trimmed_and_bounded() {
        assert_eq!(TicketDraft::parse_title("  Concert "), Ok("Concert".to_owned()));
        assert!(TicketDraft::parse_title("   ").is_err());
        assert!(TicketDraft::parse_title(&"x".repeat(121)).is_err());
        assert_eq!(TicketDraft::parse_venue(" Hall "), Ok(Some("Hall".to_owned())));
        assert_eq!(TicketDraft::parse_venue("  "), Ok(None));
        assert!(TicketDraft::parse_venue(&"v".repeat(201)).is_err());
    }

    #[test]
    fn a_date_is_a_future_date_time() {
        let now = "2026-11-26T00:00:00Z".parse().unwrap();
        let date = TicketDraft::parse_date("2027-01-01T20:00:00+01:00", now).unwrap();
        assert_eq!(date.to_rfc3339(), "2027-01-01T19:00:00+00:00");
        assert!(TicketDraft::parse_date("2027-01-01t20:00:00.5z", now).is_ok(), "RFC 3339 is case-blind");
        let minus = "2027-01-01T20:00:00\u{2212}01:00";
        for bad in ["next friday", "2027-01-01", "2020-01-01T00:00:00Z", "2027-01-01 20:00:00Z", minus] {
            assert!(TicketDraft::parse_date(bad, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn each_transition_moves_the_ticket_one_version_on() {
        let ticket = concert();
        let (order, until) = (OrderId::generate(), ticket.created_at + chrono::Duration::minutes(15));
        let reserved = ticket.reserve_for(&order, until);
        assert_eq!(
            (reserved.status, reserved.order_id.as_ref(), reserved.reserved_until, reserved.version),
            (TicketStatus::Reserved, Some(&order), Some(until), 1)
        );
        assert!(reserved.is_held_by(&order) && !ticket.is_held_by(&order));
        assert!(!reserved.reservation_lapsed(until - chrono::Duration::seconds(1)));
        assert!(reserved.reservation_lapsed(until));

        let released = reserved.release();
        assert_eq!((released.status, released.order_id.clone(), released.version), (TicketStatus::Available, None, 2));
        let lapsed = reserved.effective(until);
        assert_eq!((lapsed.status, lapsed.order_id.clone(), lapsed.version), (TicketStatus::Available, None, 1));
        assert_eq!(reserved.effective(until - chrono::Duration::milliseconds(1)), reserved, "held until it lapses");
        let listing = TicketFilter::Available(until);
        assert!(listing.keeps(&reserved) && listing.keeps(&ticket) && !listing.keeps(&reserved.sell_to(&order)));
        assert!(!TicketFilter::Available(ticket.created_at).keeps(&reserved));
        let sold = reserved.sell_to(&order);
        assert_eq!((sold.status, sold.reserved_until, sold.version), (TicketStatus::Sold, None, 2));
        assert!(!sold.is_held_by(&order), "sold is not held");
    }

    #[test]
    fn the_view_prints_price_as_a_decimal_and_times_in_utc() {
        let json = serde_json::to_value(concert().view()).unwrap();
        assert_eq!(json["price"].to_string(), "19.99");
        assert_eq!(json["createdAt"], "2026-11-26T09:30:00.000Z");
        assert_eq!(json["userId"], "01JSELLER");
        assert!(json["orderId"].is_null() && json["date"].is_null());
        assert_eq!(json["status"], "available");
    }
}
