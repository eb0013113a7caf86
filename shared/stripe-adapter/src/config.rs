//! What the Stripe adapters read from the environment.

use domain::config::{ConfigError, Env, FromEnv, Secret};

/// How to reach Stripe: `STRIPE_SECRET_KEY`, and `STRIPE_API_BASE` for another
/// Stripe-compatible server (ending with `/`). Deployed, the key must be a restricted key
/// (`rk_`), with only the permissions its function needs (the README lists them): an
/// unrestricted secret key (`sk_`) is taken by a local run only.
#[derive(Debug, Clone)]
pub struct StripeKey {
    pub secret_key: Secret,
    pub api_base: Option<String>,
}

impl FromEnv for StripeKey {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let key = env.secret("STRIPE_SECRET_KEY")?;
        if !key.trim().starts_with("rk_") && !env.is_local_run() {
            return Err(ConfigError::Invalid {
                name: "STRIPE_SECRET_KEY",
                reason: "not a restricted key (rk_...): give each function one with only the permissions it needs"
                    .to_owned(),
            });
        }
        Ok(Self { secret_key: Secret::new(key), api_base: env.optional("STRIPE_API_BASE") })
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

#[cfg(test)]
mod tests {
    use super::*;
    use domain::config::LOCAL_RUN;

    fn load(key: &str, local: bool) -> Result<StripeKey, ConfigError> {
        Env::from_fn(|name| match name {
            "STRIPE_SECRET_KEY" => Some(key.to_owned()),
            LOCAL_RUN if local => Some("true".to_owned()),
            _ => None,
        })
        .load()
    }

    #[test]
    fn deployed_a_function_takes_a_restricted_key_only() {
        assert_eq!(load("rk_live_51Restricted", false).unwrap().secret_key.expose(), "rk_live_51Restricted");
        for unrestricted in ["sk_live_51Everything", "sk_test_51Everything"] {
            let refused = load(unrestricted, false).unwrap_err().to_string();
            assert!(refused.contains("STRIPE_SECRET_KEY") && refused.contains("restricted"), "{refused}");
            assert!(load(unrestricted, true).is_ok(), "a local run (localstripe) takes {unrestricted}");
        }
    }
}
