//! `GET /api/tickets/{id}`: 200 the ticket in any state; 404 for an unknown or malformed id.
//! Its seller and, once the sale is complete, its buyer also see its `file` (null: none yet).

use aws_adapters::SaleReads;
use chrono::Utc;
use domain::ports::{OrderStore, TicketStore};
use domain::{files, tickets};
use edge::auth::SessionVerifier;
use edge::{Request, Response, Result, http};

pub type Config = (SessionVerifier, SaleReads);

pub async fn handle(
    store: &(impl TicketStore + OrderStore),
    sessions: &SessionVerifier,
    req: Request,
) -> Result<Response> {
    let ticket = tickets::show(store, &http::path_param(&req, "id")?, Utc::now()).await?;
    let viewer = sessions.current_user(&req).map(|claims| claims.user_id());
    if files::shows_file_to(store, &ticket, viewer.as_ref()).await? {
        return http::json(200, &ticket.view_with_file());
    }
    http::json(200, &ticket.view())
}
