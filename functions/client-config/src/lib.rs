//! `GET /api/config`: how a browser client takes payments: Stripe.js with the publishable
//! key (deployed), or the test gateway's cards (the local runner without Stripe); and the
//! payout terms a seller listing now agrees to.

use edge::client_config::ClientConfig;
use edge::{Request, Response, Result, http};

pub type Config = (ClientConfig, domain::entities::PayoutTerms);

pub async fn handle(config: &ClientConfig, _req: Request) -> Result<Response> {
    http::json(200, config)
}
