//! `GET /api/payouts[?limit=&cursor=]` (signed in): the caller's payouts as a seller, one
//! per sale, newest order first: amount, fee, net, status and when it is released.

use aws_adapters::PayoutsTable;
use domain::payouts;
use domain::ports::PayoutStore;
use edge::auth::SessionVerifier;
use edge::{Request, Response, Result, http, pagination};

pub type Config = (SessionVerifier, PayoutsTable);

pub async fn handle(store: &impl PayoutStore, sessions: &SessionVerifier, req: Request) -> Result<Response> {
    let seller = sessions.require_user(&req)?;
    let page = pagination::page_request(&http::query_params(&req))?;
    let found = payouts::list(store, &seller, &page).await?;
    let views: Vec<_> = found.items.iter().map(|payout| payout.view()).collect();
    http::page(&req, &page, &views, found.next.as_deref(), &[])
}
