//! The local runner's settings, with defaults that need no setup.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use domain::config::{ConfigError, Env, Secret};
use domain::orders::ReservationTimeout;
use edge::auth::Sessions;
use embedded::EmbeddedStore;
use stripe_adapter::{StripeKey, WebhookSecret};

/// Where the local runner keeps its data.
#[derive(Debug, Clone)]
pub enum Storage {
    /// A database file in this directory, kept across restarts.
    Dir(PathBuf),
    /// Nothing kept: a fresh store each start.
    Memory,
}

#[derive(Clone)]
pub struct LocalConfig {
    pub host: String,
    pub port: u16,
    pub storage: Storage,
    pub sessions: Sessions,
    pub reservation_timeout: ReservationTimeout,
    /// Stripe, when `STRIPE_SECRET_KEY` is set; the built-in test gateway otherwise.
    pub stripe: Option<StripeKey>,
    pub webhook_secret: WebhookSecret,
}

/// Verifies local webhook calls when `STRIPE_WEBHOOK_SECRET` is not set.
pub const LOCAL_WEBHOOK_SECRET: &str = "whsec_local_development";

/// Signs local sessions when `JWT_SECRET` is not set. Never used by a deployed function.
const LOCAL_JWT_SECRET: &str = "local-development-secret-not-for-deployment";

impl LocalConfig {
    /// `HOST` (127.0.0.1), `PORT` (3000), `LOCAL_DATA_DIR` (.local-data; `:memory:` keeps
    /// nothing), `JWT_SECRET` (a local development secret), `SESSION_TTL_SECONDS` (3600),
    /// `RESERVATION_TIMEOUT` minutes (15) or `RESERVATION_TIMEOUT_SECONDS`,
    /// `STRIPE_SECRET_KEY` and `STRIPE_API_BASE` (unset: the test gateway),
    /// `STRIPE_WEBHOOK_SECRET` (`whsec_local_development`).
    pub fn from_env() -> Result<Self, ConfigError> {
        let env = Env::process();
        let port = match env.optional("PORT") {
            None => 3000,
            Some(raw) => raw
                .parse()
                .map_err(|_| ConfigError::Invalid { name: "PORT", reason: format!("not a port number: {raw:?}") })?,
        };
        let storage = match env.optional("LOCAL_DATA_DIR").as_deref() {
            Some(":memory:") => Storage::Memory,
            Some(dir) => Storage::Dir(dir.into()),
            None => Storage::Dir(".local-data".into()),
        };
        let secret = env.optional("JWT_SECRET").unwrap_or_else(|| LOCAL_JWT_SECRET.to_owned());
        let stripe = match env.optional("STRIPE_SECRET_KEY") {
            Some(_) => Some(env.load::<StripeKey>()?),
            None => None,
        };
        Ok(Self {
            host: env.optional("HOST").unwrap_or_else(|| "127.0.0.1".to_owned()),
            port,
            storage,
            sessions: Sessions::new(&Secret::new(secret), env.seconds("SESSION_TTL_SECONDS", 3600)?)?,
            reservation_timeout: env.load()?,
            stripe,
            webhook_secret: WebhookSecret(Secret::new(
                env.optional("STRIPE_WEBHOOK_SECRET").unwrap_or_else(|| LOCAL_WEBHOOK_SECRET.to_owned()),
            )),
        })
    }

    /// The same defaults, in memory, with `secret` signing sessions: what tests start.
    pub fn for_tests(secret: &str) -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 0,
            storage: Storage::Memory,
            sessions: Sessions::new(&Secret::new(secret), Duration::from_secs(3600))
                .expect("a test secret long enough"),
            reservation_timeout: ReservationTimeout::default(),
            stripe: None,
            webhook_secret: WebhookSecret(Secret::new(LOCAL_WEBHOOK_SECRET)),
        }
    }

    pub fn open_store(&self) -> anyhow::Result<EmbeddedStore> {
        match &self.storage {
            Storage::Dir(dir) => EmbeddedStore::open(&dir.join("ticketing.redb")).context("opening the local store"),
            Storage::Memory => Ok(EmbeddedStore::in_memory()),
        }
    }
}
