//! `GET /api/config`: how a browser client takes payments: Stripe.js with the publishable
//! key (deployed), or the test gateway's cards (the local runner without Stripe); and the
//! payout terms a seller listing now agrees to. The same for everyone and changed only by a
//! deployment, so it may be kept for five minutes: CloudFront answers it from its edge (the
//! template's `/api/config` behaviour), and most visits' first request never reaches the API.

use edge::client_config::ClientConfig;
use edge::{Request, Response, Result, http};

pub type Config = (ClientConfig, domain::entities::PayoutTerms);

pub async fn handle(config: &ClientConfig, _req: Request) -> Result<Response> {
    Ok(http::kept_for(http::json(200, config)?, ClientConfig::KEPT_SECONDS))
}
