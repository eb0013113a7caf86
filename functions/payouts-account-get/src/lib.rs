//! `GET /api/payouts/account` (signed in): where the caller's payout account stands,
//! `{status: none | pending | enabled, payoutsEnabled, dashboardUrl?}`.

use aws_adapters::{PayoutWrites, UsersTable};
use chrono::Utc;
use domain::payouts;
use domain::ports::{ChangeStore, PayoutGateway, PayoutStore, UserStore};
use edge::auth::SessionVerifier;
use edge::{Request, Response, Result, http};
use stripe_adapter::StripeKey;

pub type Config = (SessionVerifier, UsersTable, PayoutWrites, StripeKey);

pub async fn handle(
    store: &(impl PayoutStore + ChangeStore),
    gateway: &impl PayoutGateway,
    users: &impl UserStore,
    sessions: &SessionVerifier,
    req: Request,
) -> Result<Response> {
    let seller = sessions.require_live_session(&req, users).await?;
    http::json(200, &payouts::show(store, gateway, &seller, Utc::now()).await?)
}
