//! The tickets table: partition key `id`. Two global secondary indexes list tickets newest
//! first (ticket ids are ULIDs, so they sort by creation time): `available`, keyed by
//! `listing`, an attribute present only while a ticket is not sold (a sparse index; a
//! reserved ticket is listed again as soon as its reservation lapses, so the listing skips
//! only the reservations still live), and `by-seller`, keyed by `user_id`; both sorted by `id`.
//! A third, `open-by-seller` (keys only), counts a seller's open listings: keyed by `user_id`
//! and sorted by `listed_until`, the Unix time of the event (of the year 9999 when undated),
//! present only while a ticket is listed, so that one `Query` reads only those to come. A
//! fourth, `listed-by-date` (keys only), keyed by `listing` and sorted by `listed_until`,
//! finds the listed tickets whose event has passed, which a sweep takes out of the listing.

use anyhow::Context;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::Select;
use chrono::{DateTime, Utc};
use domain::Result;
use domain::entities::{Ticket, TicketFilter};
use domain::ids::{TicketId, UserId};
use domain::page::{Page, PageRequest};
use domain::ports::{ListingIndex, TicketStore};

use super::table::{Item, Table, at_most, encode, n, s};
use crate::resources::TicketsTable;

#[derive(Clone)]
pub struct DynamoTickets(Table);

impl DynamoTickets {
    pub const KEY: &'static str = "id";
    pub const AVAILABLE_INDEX: &'static str = "available";
    pub const SELLER_INDEX: &'static str = "by-seller";
    pub const LISTING: &'static str = "listing";
    pub const SELLER: &'static str = "user_id";
    pub const OPEN_INDEX: &'static str = "open-by-seller";
    pub const LISTED_BY_DATE_INDEX: &'static str = "listed-by-date";
    pub const LISTED_UNTIL: &'static str = "listed_until";
    const LISTED: &'static str = "available";
    /// `listed_until` of an undated ticket: the last second of the year 9999.
    const UNDATED: i64 = 253_402_300_799;

    pub fn new(client: Client, table: &TicketsTable) -> Self {
        Self(Table::new(client, table.name()))
    }

    /// The stored item: the ticket, and `listing` while it is not sold and its date (if it
    /// has one) is still to come when written: a ticket written after its date leaves the
    /// listing's index.
    pub fn item(ticket: &Ticket) -> Result<Item> {
        let mut item = encode(ticket, "a ticket")?;
        if ticket.is_open_listing(Utc::now()) {
            item.insert(Self::LISTING.to_owned(), s(Self::LISTED));
            let until = ticket.date.map_or(Self::UNDATED, |date| date.timestamp());
            item.insert(Self::LISTED_UNTIL.to_owned(), n(until));
        }
        Ok(item)
    }
}

impl TicketStore for DynamoTickets {
    async fn get(&self, id: &TicketId) -> Result<Option<Ticket>> {
        self.0.get((Self::KEY, id.as_str()), "a ticket").await
    }

    async fn list(&self, filter: &TicketFilter, page: &PageRequest) -> Result<Page<Ticket>> {
        let (index, partition) = match filter {
            TicketFilter::Available(_) => (Self::AVAILABLE_INDEX, (Self::LISTING, Self::LISTED)),
            TicketFilter::Seller(seller) => (Self::SELLER_INDEX, (Self::SELLER, seller.as_str())),
        };
        let after = page.after.as_ref().map(|after| (Self::KEY, after.as_str()));
        // One bounded read per request: past-dated or reserved tickets the index still holds
        // make a short page with a next link, never a walk through them all.
        let (keep, key) = (|ticket: &Ticket| filter.keeps(ticket), |ticket: &Ticket| ticket.id.to_string());
        self.0.newest_first(Some(index), partition, after, page.limit, (keep, key), "tickets").await
    }

    async fn open_listings(&self, seller: &UserId, now: DateTime<Utc>, up_to: usize) -> Result<usize> {
        let open = Some((Self::LISTED_UNTIL, ">", n(now.timestamp())));
        let output = (self.0.index(Self::OPEN_INDEX, (Self::SELLER, s(seller.as_str())), open))
            .select(Select::Count)
            .limit(at_most(up_to))
            .send()
            .await
            .context("counting a seller's open listings")?;
        Ok(usize::try_from(output.count).unwrap_or_default())
    }
}

impl ListingIndex for DynamoTickets {
    async fn unlist_past(&self, now: DateTime<Utc>, limit: usize) -> Result<usize> {
        let past = Some((Self::LISTED_UNTIL, "<=", n(now.timestamp())));
        let output = (self.0.index(Self::LISTED_BY_DATE_INDEX, (Self::LISTING, s(Self::LISTED)), past))
            .limit(at_most(limit))
            .send()
            .await
            .context("finding past-dated listings")?;
        let mut unlisted = 0;
        for keys in output.items.unwrap_or_default() {
            let Some(id) = keys.get(Self::KEY).cloned() else { continue };
            // Only the index's attributes go (the ticket and its version stay as they are),
            // and only if the ticket is still past-dated as listed: a write since may have
            // moved its date.
            let removed = self
                .0
                .client
                .update_item()
                .table_name(&self.0.name)
                .key(Self::KEY, id)
                .update_expression("REMOVE #listing, #until")
                .condition_expression("#until <= :now")
                .expression_attribute_names("#listing", Self::LISTING)
                .expression_attribute_names("#until", Self::LISTED_UNTIL)
                .expression_attribute_values(":now", n(now.timestamp()))
                .send()
                .await;
            match removed {
                Ok(_) => unlisted += 1,
                Err(aws_sdk_dynamodb::error::SdkError::ServiceError(e))
                    if e.err().is_conditional_check_failed_exception() => {}
                Err(e) => return Err(domain::Error::internal(e, "taking a past-dated ticket out of the listing")),
            }
        }
        Ok(unlisted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use domain::entities::TicketStatus;
    use domain::ids::UserId;
    use domain::money::Money;

    fn ticket(date: Option<chrono::DateTime<Utc>>, status: TicketStatus) -> Ticket {
        let draft =
            domain::entities::TicketDraft { title: "Gig".into(), price: Money::from_minor(1000), date, venue: None };
        let mut ticket = Ticket::list(UserId::from("01JSELLER"), draft, Default::default(), Utc::now());
        ticket.status = status;
        ticket
    }

    #[test]
    fn a_ticket_is_in_the_listings_index_while_unsold_and_still_to_come() {
        let listed = |ticket: &Ticket| {
            let item = DynamoTickets::item(ticket).unwrap();
            let until =
                item.get(DynamoTickets::LISTED_UNTIL).map(|until| until.as_n().unwrap().parse::<i64>().unwrap());
            assert_eq!(item.contains_key(DynamoTickets::LISTING), until.is_some(), "both keys, or neither");
            if let Some(until) = until {
                assert_eq!(until, ticket.date.map_or(DynamoTickets::UNDATED, |date| date.timestamp()));
            }
            until.is_some()
        };
        assert!(listed(&ticket(None, TicketStatus::Available)));
        assert!(listed(&ticket(Some(Utc::now() + Duration::hours(1)), TicketStatus::Reserved)));
        assert!(!listed(&ticket(Some(Utc::now() + Duration::hours(1)), TicketStatus::Sold)));
        assert!(!listed(&ticket(Some(Utc::now() - Duration::minutes(1)), TicketStatus::Available)), "past-dated");
    }
}
