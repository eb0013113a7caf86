//! The tickets table: partition key `id`. Two global secondary indexes list tickets newest
//! first (ticket ids are ULIDs, so they sort by creation time): `available`, keyed by
//! `listing`, an attribute present only while a ticket is not sold (a sparse index; a
//! reserved ticket is listed again as soon as its reservation lapses, so the listing skips
//! only the reservations still live), and `by-seller`, keyed by `user_id`; both sorted by `id`.

use aws_sdk_dynamodb::Client;
use domain::Result;
use domain::entities::{Ticket, TicketFilter, TicketStatus};
use domain::ids::TicketId;
use domain::page::{Page, PageRequest};
use domain::ports::TicketStore;

use super::table::{Item, Table, encode, s};
use crate::resources::TicketsTable;

#[derive(Clone)]
pub struct DynamoTickets(Table);

impl DynamoTickets {
    pub const KEY: &'static str = "id";
    pub const AVAILABLE_INDEX: &'static str = "available";
    pub const SELLER_INDEX: &'static str = "by-seller";
    pub const LISTING: &'static str = "listing";
    pub const SELLER: &'static str = "user_id";
    const LISTED: &'static str = "available";

    pub fn new(client: Client, table: &TicketsTable) -> Self {
        Self(Table::new(client, table.name()))
    }

    /// The stored item: the ticket, and `listing` while it is not sold.
    pub(super) fn item(ticket: &Ticket) -> Result<Item> {
        let mut item = encode(ticket, "a ticket")?;
        if ticket.status != TicketStatus::Sold {
            item.insert(Self::LISTING.to_owned(), s(Self::LISTED));
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
        let keep = |ticket: &Ticket| filter.keeps(ticket);
        let tickets: Vec<Ticket> =
            self.0.newest_first(Some(index), partition, after, page.limit, keep, "tickets").await?;
        Ok(Page::from_overfetch(tickets, page.limit, |ticket| ticket.id.to_string()))
    }
}
