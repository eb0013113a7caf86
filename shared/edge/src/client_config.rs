//! What a browser client needs to know to take payments: `GET /api/config`.

use domain::config::{ConfigError, Env, FromEnv};
use domain::entities::PayoutTerms;
use serde::Serialize;

/// How the client takes a card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientConfig {
    /// `stripe`: with Stripe.js, on the payment's `clientSecret`; `test`: with one of
    /// `testCards`, sent as `token` (the local runner's test gateway).
    pub payments: PaymentsMode,
    /// Stripe's publishable key (never the secret one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publishable_key: Option<String>,
    /// Where Stripe.js comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stripe_js_url: Option<String>,
    /// The cards the test gateway knows.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub test_cards: Vec<TestCard>,
    /// What a seller listing now agrees to: how much of a sale they receive, and when.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payouts: Option<SellerTerms>,
}

impl ClientConfig {
    /// How long, in seconds, a browser or CloudFront may keep `GET /api/config`'s answer: it
    /// is the same for everyone and changes only with a deployment.
    pub const KEPT_SECONDS: u32 = 300;
}

/// The payout terms of a listing made now: the platform's fee is `feeBps` hundredths of a
/// percent of the price, rounded half up to the cent, plus `feeFixed`, never more than the
/// price; the rest is paid out `holdSeconds` after the event (or the sale, without a date).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SellerTerms {
    pub fee_bps: u32,
    #[serde(serialize_with = "domain::money::serialize_decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = f64, example = 0.5))]
    pub fee_fixed: domain::money::Money,
    pub hold_seconds: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PaymentsMode {
    Stripe,
    Test,
}

/// A card of the test gateway: what to send as `token`, and what happens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TestCard {
    pub token: String,
    pub label: String,
}

/// Stripe.js, from Stripe.
pub const STRIPE_JS: &str = "https://js.stripe.com/v3/";

impl ClientConfig {
    /// With the payout terms of listings made now.
    pub fn with_payouts(self, terms: PayoutTerms) -> Self {
        let terms =
            SellerTerms { fee_bps: terms.fee_bps, fee_fixed: terms.fee_fixed, hold_seconds: terms.hold_seconds };
        Self { payouts: Some(terms), ..self }
    }

    pub fn stripe(publishable_key: String, stripe_js_url: String) -> Self {
        Self {
            payments: PaymentsMode::Stripe,
            publishable_key: Some(publishable_key),
            stripe_js_url: Some(stripe_js_url),
            test_cards: Vec::new(),
            payouts: None,
        }
    }

    /// The test gateway's: Stripe's test cards by their payment method ids.
    pub fn test_gateway() -> Self {
        let card = |token: &str, label: &str| TestCard { token: token.to_owned(), label: label.to_owned() };
        Self {
            payments: PaymentsMode::Test,
            publishable_key: None,
            stripe_js_url: None,
            test_cards: vec![
                card("pm_card_visa", "Visa 4242 4242 4242 4242 (succeeds)"),
                card("pm_card_chargeDeclined", "Visa 4000 0000 0000 0002 (declined)"),
                card("pm_card_authenticationRequired", "Visa 4000 0027 6000 3184 (asks for 3-D Secure)"),
            ],
            payouts: None,
        }
    }
}

/// Deployed: `STRIPE_PUBLISHABLE_KEY` (`pk_...`), and `STRIPE_JS_URL` (Stripe's own by default).
impl FromEnv for ClientConfig {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let key = env.secret("STRIPE_PUBLISHABLE_KEY")?;
        if !key.starts_with("pk_") {
            return Err(ConfigError::Invalid {
                name: "STRIPE_PUBLISHABLE_KEY",
                reason: "a publishable key starts with pk_ (never give the client a secret key)".to_owned(),
            });
        }
        Ok(Self::stripe(key, env.optional("STRIPE_JS_URL").unwrap_or_else(|| STRIPE_JS.to_owned())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)]) -> Result<ClientConfig, ConfigError> {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Env::from_fn(|name| vars.get(name).cloned()).load()
    }

    #[test]
    fn the_client_gets_a_publishable_key_and_stripes_own_script_by_default() {
        let config = load(&[("STRIPE_PUBLISHABLE_KEY", "pk_live_abc")]).unwrap();
        assert_eq!(config, ClientConfig::stripe("pk_live_abc".to_owned(), STRIPE_JS.to_owned()));
        let local = load(&[
            ("STRIPE_PUBLISHABLE_KEY", "pk_test_abc"),
            ("STRIPE_JS_URL", "http://127.0.0.1:1/js.stripe.com/v3/"),
        ]);
        assert_eq!(local.unwrap().stripe_js_url.as_deref(), Some("http://127.0.0.1:1/js.stripe.com/v3/"));
    }

    #[test]
    fn a_secret_key_is_never_given_to_the_client() {
        for key in ["sk_live_abc", "rk_live_abc", "whsec_abc", ""] {
            assert!(load(&[("STRIPE_PUBLISHABLE_KEY", key)]).is_err(), "{key}");
        }
        assert!(load(&[]).is_err(), "the key is required");
    }
}
