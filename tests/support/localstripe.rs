//! The localstripe server `scripts/test` started.

use domain::config::Secret;
use stripe_adapter::{StripeGateway, StripeKey};

pub fn endpoint() -> String {
    std::env::var("LOCALSTRIPE_ENDPOINT")
        .expect("LOCALSTRIPE_ENDPOINT is not set: run the suite with scripts/test, which starts localstripe")
}

/// The Stripe adapter, pointed at localstripe.
pub fn gateway() -> StripeGateway {
    StripeGateway::new(&key()).expect("a Stripe client")
}

/// The key and base URL that reach localstripe.
pub fn key() -> StripeKey {
    account_key("sk_test_localstripe")
}

/// The key of an account of its own (`secret`) at localstripe: idempotency keys are scoped by it.
pub fn account_key(secret: &str) -> StripeKey {
    StripeKey { secret_key: Secret::new(secret), api_base: Some(format!("{}/", endpoint())) }
}

/// Completes the onboarding of the connected account `account`, as its seller would on
/// Stripe's hosted pages.
pub async fn onboard(account: &str) {
    let url = format!("{}/_config/accounts/{account}/onboard", endpoint());
    let reply = reqwest::Client::new().post(url).send().await.expect("localstripe answers");
    assert!(reply.status().is_success(), "onboarding {account}: {}", reply.text().await.unwrap_or_default());
}
