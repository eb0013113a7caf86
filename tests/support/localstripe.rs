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
    StripeKey { secret_key: Secret::new("sk_test_localstripe"), api_base: Some(format!("{}/", endpoint())) }
}
