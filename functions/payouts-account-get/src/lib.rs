//! `GET /api/payouts/account` (signed in): where the caller's payout account stands,
//! `{status: none | pending | enabled, payoutsEnabled, dashboardUrl?}`.

use aws_adapters::PayoutWrites;
use chrono::Utc;
use domain::payouts;
use domain::ports::{ChangeStore, PayoutGateway, PayoutStore};
use edge::auth::SessionVerifier;
use edge::{Request, Response, Result, http};
use stripe_adapter::StripeKey;

pub type Config = (SessionVerifier, PayoutWrites, StripeKey);

pub async fn handle(
    store: &(impl PayoutStore + ChangeStore),
    gateway: &impl PayoutGateway,
    sessions: &SessionVerifier,
    req: Request,
) -> Result<Response> {
    let seller = sessions.require_user(&req)?;
    http::json(200, &payouts::show(store, gateway, &seller, Utc::now()).await?)
}
