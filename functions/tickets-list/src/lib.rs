//! `GET /api/tickets[?userId=][&limit=][&cursor=]`: tickets newest first, a page at a time.
//! Without `userId`, the tickets that can be bought now; with it, that seller's tickets in
//! every state. The next page's address comes in a `Link: <...>; rel="next"` header.

use aws_adapters::TicketsTable;
use chrono::Utc;
use domain::entities::TicketFilter;
use domain::ids::UserId;
use domain::ports::TicketStore;
use domain::tickets;
use edge::{Request, Response, Result, http, pagination};

pub type Config = TicketsTable;

pub async fn handle(store: &impl TicketStore, req: Request) -> Result<Response> {
    let query = http::query_params(&req);
    let page = pagination::page_request(&query)?;
    let seller = http::id_param(&query, "userId")?;
    let now = Utc::now();
    let filter = match &seller {
        Some(seller) => TicketFilter::Seller(UserId::from(seller.as_str())),
        None => TicketFilter::Available(now),
    };
    let found = tickets::list(store, &filter, &page, now).await?;
    let views: Vec<_> = found.items.iter().map(|ticket| ticket.view()).collect();
    let params: Vec<(&str, &str)> = seller.as_ref().map(|seller| ("userId", seller.as_str())).into_iter().collect();
    http::page(&req, &page, &views, found.next.as_deref(), &params)
}
