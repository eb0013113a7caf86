//! `POST /api/orders/{id}/problem` (signed in) `{message}`: 200 the order with its `problem`,
//! its seller's payout held until an operator resolves it; 409 for an order that is not
//! complete, or whose seller is already paid.

use aws_adapters::ProblemWrites;
use chrono::Utc;
use domain::payouts;
use domain::ports::{ChangeStore, OrderStore, PayoutStore};
use edge::auth::SessionVerifier;
use edge::{Request, Response, Result, http, requests};

pub type Config = (SessionVerifier, ProblemWrites);

pub async fn handle(
    store: &(impl OrderStore + PayoutStore + ChangeStore),
    sessions: &SessionVerifier,
    req: Request,
) -> Result<Response> {
    let buyer = sessions.require_user(&req)?;
    let id = http::path_param(&req, "id")?;
    let report = requests::problem_report(&req)?;
    let order = payouts::report(store, &buyer, &id, report.message, Utc::now()).await?;
    http::json(200, &order.view())
}
