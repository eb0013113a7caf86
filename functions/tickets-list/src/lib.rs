//! `GET /api/tickets[?userId=][&limit=][&cursor=]`: tickets newest first, a page at a time.
//! Without `userId`, the tickets that can be bought now; with it, that seller's tickets in
//! every state. The next page's address comes in a `Link: <...>; rel="next"` header.

use lambda_http::Request;
use shared::http::{self, HttpResponse};
use shared::pagination::PageRequest;
use shared::ports::TicketStore;
use shared::tickets::{self, TicketFilter};
use shared::users::UserId;

pub async fn handle(store: &impl TicketStore, req: Request) -> HttpResponse {
    http::respond(list(store, req).await)
}

async fn list(store: &impl TicketStore, req: Request) -> shared::Result<HttpResponse> {
    let query = http::query_params(&req);
    let page = PageRequest::from_query(&query)?;
    let seller = query.get("userId").filter(|id| !id.is_empty());
    let filter = match seller {
        Some(seller) => TicketFilter::Seller(UserId::from(seller.clone())),
        None => TicketFilter::Available,
    };
    let found = tickets::list(store, &filter, &page).await?;
    let views: Vec<_> = found.items.iter().map(|ticket| ticket.view()).collect();
    let params: Vec<(&str, &str)> = seller.map(|seller| ("userId", seller.as_str())).into_iter().collect();
    http::page(&req, &page, &views, found.next.as_deref(), &params)
}
