//! `GET /api/payouts[?limit=&cursor=]` (signed in): the caller's payouts as a seller, one
//! per sale, newest order first: amount, fee, net, status and when it is released.

use aws_adapters::{PayoutsTable, UsersTable};
use domain::payouts;
use domain::ports::{PayoutStore, UserStore};
use edge::auth::SessionVerifier;
use edge::{Request, Response, Result, http, pagination};

pub type Config = (SessionVerifier, UsersTable, PayoutsTable);

pub async fn handle(
    store: &impl PayoutStore,
    users: &impl UserStore,
    sessions: &SessionVerifier,
    req: Request,
) -> Result<Response> {
    let seller = sessions.require_live_session(&req, users).await?;
    let page = pagination::page_request(&http::query_params(&req))?;
    let found = payouts::list(store, &seller, &page).await?;
    let views: Vec<_> = found.items.iter().map(|payout| payout.view()).collect();
    http::page(&req, &page, &views, found.next.as_deref(), &[])
}
