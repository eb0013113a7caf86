//! Runs every few minutes (an EventBridge schedule): expires every open order whose
//! reservation lapsed more than two minutes ago, whatever happened to its own schedule; and
//! takes tickets whose event has passed out of the public listing's index.

use aws_adapters::PaymentWrites;
use chrono::Utc;
use domain::Result;
use domain::expiration;
use domain::ports::{ListingIndex, PaymentGateway, Store};
use domain::tickets;
use stripe_adapter::StripeKey;

pub type Config = (PaymentWrites, StripeKey);

/// The orders it expired. It also takes tickets whose event has passed out of the listing.
pub async fn handle(store: &impl Store, gateway: &impl PaymentGateway, listings: &impl ListingIndex) -> Result<usize> {
    let now = Utc::now();
    let expired = expiration::sweep(store, gateway, now).await?;
    let unlisted = tickets::unlist_past(listings, now).await?;
    if expired > 0 {
        // Each one is a schedule that did not fire: the operations alarm counts them.
        tracing::warn!(expired, "the sweep expired orders no schedule did");
    }
    if unlisted > 0 {
        tracing::info!(unlisted, "past-dated tickets left the listing");
    }
    Ok(expired)
}
