//! What the Stripe adapters read from the environment.

use domain::config::{ConfigError, Env, FromEnv, Secret};

/// How to reach Stripe: `STRIPE_SECRET_KEY`, and `STRIPE_API_BASE` for another
/// Stripe-compatible server (ending with `/`).
#[derive(Debug, Clone)]
pub struct StripeKey {
    pub secret_key: Secret,
    pub api_base: Option<String>,
}

impl FromEnv for StripeKey {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            secret_key: Secret::new(env.secret("STRIPE_SECRET_KEY")?),
            api_base: env.optional("STRIPE_API_BASE"),
        })
    }
}

/// `STRIPE_CONNECT_WEBHOOK_SECRET`: the signing secret of the Connect webhook endpoint (the
/// one Stripe sends connected accounts' events to).
#[derive(Debug, Clone)]
pub struct ConnectWebhookSecret(pub Secret);

impl FromEnv for ConnectWebhookSecret {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        env.secret("STRIPE_CONNECT_WEBHOOK_SECRET").map(|secret| Self(Secret::new(secret)))
    }
}

/// `STRIPE_WEBHOOK_SECRET`: the webhook endpoint's signing secret.
#[derive(Debug, Clone)]
pub struct WebhookSecret(pub Secret);

impl FromEnv for WebhookSecret {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        env.secret("STRIPE_WEBHOOK_SECRET").map(|secret| Self(Secret::new(secret)))
    }
}
