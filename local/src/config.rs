//! The local runner's settings, with defaults that need no setup.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use domain::config::{ConfigError, Env, LOCAL_RUN, Secret};
use domain::entities::PayoutTerms;
use domain::mail::MailReservations;
use domain::orders::{ReorderCooldown, ReservationLimit, ReservationTimeout};
use domain::payouts::PublicOrigin;
use domain::tickets::ListingCap;
use domain::users::Throttles;
use edge::address::OriginSecret;
use edge::auth::{SessionIssuer, SessionVerifier};
use edge::client_config::ClientConfig;
use embedded::EmbeddedStore;
use stripe_adapter::{ConnectWebhookSecret, StripeKey, WebhookSecret};

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
    /// Signs sessions (sign-up, sign-in).
    pub issuer: SessionIssuer,
    /// Verifies sessions (every other route).
    pub verifier: SessionVerifier,
    pub reservation_timeout: ReservationTimeout,
    pub reservation_limit: ReservationLimit,
    pub reorder_cooldown: ReorderCooldown,
    /// How many open listings a seller may hold.
    pub listing_cap: ListingCap,
    /// The limits of signing in and up.
    pub throttles: Throttles,
    /// `ORIGIN_VERIFY_SECRET`: with it, a request carrying it in `x-origin-verify` is
    /// believed about `CloudFront-Viewer-Address` (as behind the distribution); without it,
    /// every request's address is the peer's.
    pub origin: OriginSecret,
    /// The fee and hold new listings are paid out on.
    pub payout_terms: PayoutTerms,
    /// Where the web client is served: what links leaving the API (payout onboarding) send
    /// people back to. `PUBLIC_ORIGIN`, by default this runner's own address.
    pub public_origin: PublicOrigin,
    /// `MAIL_RESERVATIONS`: whether a new reservation is mailed too (`true` or `false`, the
    /// default), read as the functions read it.
    pub mail_reservations: MailReservations,
    /// Stripe, when `STRIPE_SECRET_KEY` is set; the built-in test gateway otherwise.
    pub stripe: Option<StripeKey>,
    /// What the browser client is told of payments: Stripe.js with `STRIPE_PUBLISHABLE_KEY`
    /// (and `STRIPE_JS_URL`) along with Stripe; the test gateway's cards otherwise.
    pub client: ClientConfig,
    pub webhook_secret: WebhookSecret,
    pub connect_webhook_secret: ConnectWebhookSecret,
}

/// Verifies local webhook calls when `STRIPE_WEBHOOK_SECRET` is not set.
pub const LOCAL_WEBHOOK_SECRET: &str = "whsec_local_development";
/// Verifies local Connect webhook calls when `STRIPE_CONNECT_WEBHOOK_SECRET` is not set.
pub const LOCAL_CONNECT_WEBHOOK_SECRET: &str = "whsec_local_connect";

impl LocalConfig {
    /// `HOST` (127.0.0.1), `PORT` (3000), `LOCAL_DATA_DIR` (.local-data; `:memory:` keeps
    /// nothing), `SESSION_KEY_ID`, `SESSION_SIGNING_KEY` and `SESSION_PUBLIC_KEYS` (the
    /// development key pair, which deployed functions refuse), `SESSION_TTL_SECONDS` (3600),
    /// `RESERVATION_TIMEOUT` minutes (15) or `RESERVATION_TIMEOUT_SECONDS`, `MAX_OPEN_RESERVATIONS` (3), the sign-in and sign-up limits
    /// (`domain::users::Throttles`), `MAX_OPEN_LISTINGS` (200), `ORIGIN_VERIFY_SECRET` (unset),
    /// `STRIPE_SECRET_KEY` and `STRIPE_API_BASE` (unset: the test gateway) with
    /// `STRIPE_PUBLISHABLE_KEY` and `STRIPE_JS_URL` for the browser client,
    /// `STRIPE_WEBHOOK_SECRET` (`whsec_local_development`), `PLATFORM_FEE_BPS` (500),
    /// `PLATFORM_FEE_CENTS` (50) and `PAYOUT_HOLD_SECONDS` (three days), `PUBLIC_ORIGIN` (this
    /// runner's own `http://HOST:PORT`).
    pub fn from_env() -> Result<Self, ConfigError> {
        // The runner is a local run: it takes the repository's committed keys and secrets.
        let env = Env::from_fn(|name| match name {
            LOCAL_RUN => Some("true".to_owned()),
            _ => std::env::var(name).ok(),
        });
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
        let ttl = env.seconds("SESSION_TTL_SECONDS", 3600)?;
        let issuer = match env.optional("SESSION_SIGNING_KEY") {
            Some(key) => SessionIssuer::new(&env.required("SESSION_KEY_ID")?, &key, ttl)?,
            None => SessionIssuer::development(ttl),
        };
        let verifier = match env.optional("SESSION_PUBLIC_KEYS") {
            Some(keys) => SessionVerifier::new(&keys)?,
            None => SessionVerifier::new(&issuer.public_key())?,
        };
        let (stripe, client) = match env.optional("STRIPE_SECRET_KEY") {
            Some(_) => (Some(env.load::<StripeKey>()?), env.load::<ClientConfig>()?),
            None => (None, ClientConfig::test_gateway()),
        };
        Ok(Self {
            host: env.optional("HOST").unwrap_or_else(|| "127.0.0.1".to_owned()),
            port,
            storage,
            issuer,
            verifier,
            reservation_timeout: env.load()?,
            reservation_limit: env.load()?,
            reorder_cooldown: env.load()?,
            throttles: env.load()?,
            listing_cap: env.load()?,
            origin: OriginSecret::new(env.optional("ORIGIN_VERIFY_SECRET").map(Secret::new)),
            payout_terms: env.load()?,
            public_origin: match env.optional("PUBLIC_ORIGIN") {
                Some(_) => env.load()?,
                None => {
                    PublicOrigin(format!("http://{}:{port}", env.optional("HOST").as_deref().unwrap_or("127.0.0.1")))
                }
            },
            mail_reservations: env.load()?,
            stripe,
            client,
            webhook_secret: WebhookSecret(Secret::new(
                env.optional("STRIPE_WEBHOOK_SECRET").unwrap_or_else(|| LOCAL_WEBHOOK_SECRET.to_owned()),
            )),
            connect_webhook_secret: ConnectWebhookSecret(Secret::new(
                env.optional("STRIPE_CONNECT_WEBHOOK_SECRET")
                    .unwrap_or_else(|| LOCAL_CONNECT_WEBHOOK_SECRET.to_owned()),
            )),
        })
    }

    /// The same defaults, in memory: what tests start.
    pub fn for_tests() -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 0,
            storage: Storage::Memory,
            issuer: SessionIssuer::development(Duration::from_secs(3600)),
            verifier: SessionVerifier::development(),
            reservation_timeout: ReservationTimeout::default(),
            reservation_limit: ReservationLimit::default(),
            // The suites order, cancel and order again freely; one test runs the default.
            reorder_cooldown: ReorderCooldown(Duration::ZERO),
            // The suites list freely; one test runs the default.
            listing_cap: ListingCap(1_000_000),
            // The suites sign up many accounts from one address; one test runs the default.
            throttles: Throttles { sign_ups_per_address: 100_000, ..Throttles::default() },
            origin: OriginSecret::new(None),
            payout_terms: PayoutTerms::default(),
            // Set to the address the runner is bound to, once it is.
            public_origin: PublicOrigin("http://127.0.0.1".to_owned()),
            mail_reservations: MailReservations(false),
            stripe: None,
            client: ClientConfig::test_gateway(),
            webhook_secret: WebhookSecret(Secret::new(LOCAL_WEBHOOK_SECRET)),
            connect_webhook_secret: ConnectWebhookSecret(Secret::new(LOCAL_CONNECT_WEBHOOK_SECRET)),
        }
    }

    pub fn open_store(&self) -> anyhow::Result<EmbeddedStore> {
        match &self.storage {
            Storage::Dir(dir) => EmbeddedStore::open(&dir.join("ticketing.redb")).context("opening the local store"),
            Storage::Memory => Ok(EmbeddedStore::in_memory()),
        }
    }
}
