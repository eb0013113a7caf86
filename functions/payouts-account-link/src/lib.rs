//! `POST /api/payouts/account` (signed in) `{}`: 201 `{url}`, a fresh link to the payment
//! provider's onboarding of the caller's payout account, which is created first if they have
//! none (once, however many requests race). 403 until the caller's e-mail address is
//! verified. Onboarding sends the seller back to the web
//! client's payouts page on the configured public origin.

use aws_adapters::{PayoutWrites, UsersTable};
use chrono::Utc;
use domain::email_verification;
use domain::entities::OnboardingLink;
use domain::payouts::{self, PublicOrigin};
use domain::ports::{ChangeStore, PayoutGateway, PayoutStore, UserStore};
use edge::auth::SessionVerifier;
use edge::body::JsonFields;
use edge::{Request, Response, Result, http};
use stripe_adapter::StripeKey;

pub type Config = (SessionVerifier, UsersTable, PayoutWrites, StripeKey, PublicOrigin);

pub async fn handle(
    store: &(impl PayoutStore + ChangeStore),
    gateway: &impl PayoutGateway,
    users: &impl UserStore,
    sessions: &SessionVerifier,
    origin: &PublicOrigin,
    req: Request,
) -> Result<Response> {
    let seller = sessions.require_live_account(&req, users).await?;
    JsonFields::from_request(&req)?;
    email_verification::require_verified(&seller)?;
    let url = payouts::connect(store, gateway, &seller.id, origin, Utc::now()).await?;
    http::json(201, &OnboardingLink { url })
}
