//! Every function's handler over the embedded adapters, invoked by name as Lambda would.

use domain::entities::{Intent, IntentRequest, PayoutTerms};
use domain::orders::{ReservationRules, ReservationTimeout};
use domain::payments::GatewayEvent;
use domain::ports::{GatewayEvents, PaymentGateway};
use edge::auth::{SessionIssuer, SessionVerifier};
use edge::client::ClientConfig;
use edge::passwords::Argon2Passwords;
use edge::{Request, Response};
use embedded::{EmbeddedStore, TestGateway};
use stripe_adapter::{StripeGateway, WebhookSecret};

use crate::config::LocalConfig;

#[derive(Clone)]
pub struct Functions {
    store: EmbeddedStore,
    gateway: Gateway,
    issuer: SessionIssuer,
    verifier: SessionVerifier,
    reservation_timeout: ReservationTimeout,
    reservation_rules: ReservationRules,
    payout_terms: PayoutTerms,
    webhook_secret: WebhookSecret,
    client_config: ClientConfig,
}

/// Stripe when a key is configured, else the built-in test gateway.
#[derive(Clone)]
pub enum Gateway {
    Test(TestGateway),
    Stripe(Box<StripeGateway>),
}

impl GatewayEvents for Gateway {
    async fn since(&self, since: chrono::DateTime<chrono::Utc>) -> domain::Result<Vec<GatewayEvent>> {
        match self {
            Gateway::Test(gateway) => gateway.since(since).await,
            Gateway::Stripe(gateway) => gateway.since(since).await,
        }
    }
}

impl PaymentGateway for Gateway {
    async fn create_intent(&self, request: &IntentRequest<'_>) -> domain::Result<Intent> {
        match self {
            Gateway::Test(gateway) => gateway.create_intent(request).await,
            Gateway::Stripe(gateway) => gateway.create_intent(request).await,
        }
    }

    async fn confirm(&self, intent_id: &str, payment_method: &str) -> domain::Result<Intent> {
        match self {
            Gateway::Test(gateway) => gateway.confirm(intent_id, payment_method).await,
            Gateway::Stripe(gateway) => gateway.confirm(intent_id, payment_method).await,
        }
    }

    async fn get_intent(&self, intent_id: &str) -> domain::Result<Intent> {
        match self {
            Gateway::Test(gateway) => gateway.get_intent(intent_id).await,
            Gateway::Stripe(gateway) => gateway.get_intent(intent_id).await,
        }
    }

    async fn refund(&self, intent_id: &str) -> domain::Result<String> {
        match self {
            Gateway::Test(gateway) => gateway.refund(intent_id).await,
            Gateway::Stripe(gateway) => gateway.refund(intent_id).await,
        }
    }

    async fn refund_of(&self, intent_id: &str) -> domain::Result<Option<String>> {
        match self {
            Gateway::Test(gateway) => gateway.refund_of(intent_id).await,
            Gateway::Stripe(gateway) => gateway.refund_of(intent_id).await,
        }
    }

    async fn cancel_intent(&self, intent_id: &str) -> domain::Result<Intent> {
        match self {
            Gateway::Test(gateway) => gateway.cancel_intent(intent_id).await,
            Gateway::Stripe(gateway) => gateway.cancel_intent(intent_id).await,
        }
    }
}

impl Functions {
    pub fn new(store: EmbeddedStore, config: &LocalConfig) -> anyhow::Result<Self> {
        let gateway = match &config.stripe {
            None => Gateway::Test(TestGateway::in_store(&store)),
            Some(stripe) => Gateway::Stripe(Box::new(StripeGateway::new(stripe)?)),
        };
        Ok(Self {
            store,
            gateway,
            issuer: config.issuer.clone(),
            verifier: config.verifier.clone(),
            reservation_timeout: config.reservation_timeout,
            reservation_rules: ReservationRules { limit: config.reservation_limit, cooldown: config.reorder_cooldown },
            payout_terms: config.payout_terms,
            webhook_secret: config.webhook_secret.clone(),
            client_config: config.client.clone(),
        })
    }

    /// The embedded store every function works over.
    pub fn store(&self) -> &EmbeddedStore {
        &self.store
    }

    /// The payment gateway in use.
    pub fn gateway(&self) -> &Gateway {
        &self.gateway
    }

    /// Signs a webhook body as Stripe would for this runner's endpoint secret.
    pub fn sign_webhook(&self, body: &[u8]) -> String {
        stripe_adapter::webhook::sign(body, &self.webhook_secret.0, chrono::Utc::now().timestamp())
    }

    /// The built-in test gateway, when that is the one in use.
    pub fn test_gateway(&self) -> Option<&TestGateway> {
        match &self.gateway {
            Gateway::Test(gateway) => Some(gateway),
            Gateway::Stripe(_) => None,
        }
    }

    /// Invokes the named function with `req`, as Lambda would; `None` for an unknown name.
    pub async fn invoke(&self, function: &str, req: Request) -> Option<Response> {
        let (store, issuer, sessions, gateway) = (&self.store, &self.issuer, &self.verifier, &self.gateway);
        let outcome = match function {
            "users-signup" => users_signup::handle(store, &Argon2Passwords, issuer, req).await,
            "users-signin" => users_signin::handle(store, store, &Argon2Passwords, issuer, req).await,
            "users-signout" => users_signout::handle(req).await,
            "users-currentuser" => users_currentuser::handle(sessions, req).await,
            "tickets-create" => tickets_create::handle(store, sessions, self.payout_terms, req).await,
            "tickets-list" => tickets_list::handle(store, req).await,
            "tickets-get" => tickets_get::handle(store, req).await,
            "tickets-update" => tickets_update::handle(store, sessions, req).await,
            "tickets-delete" => tickets_delete::handle(store, sessions, req).await,
            "orders-create" => {
                orders_create::handle(store, sessions, self.reservation_timeout, self.reservation_rules, req).await
            }
            "orders-list" => orders_list::handle(store, sessions, req).await,
            "orders-get" => orders_get::handle(store, sessions, req).await,
            "orders-cancel" => orders_cancel::handle(store, sessions, req).await,
            "expiration-get" => expiration_get::handle(store, sessions, req).await,
            "notifications-list" => notifications_list::handle(store, sessions, req).await,
            "payments-create" => payments_create::handle(store, gateway, sessions, req).await,
            "client-config" => client_config::handle(&self.client_config, req).await,
            "payments-list" => payments_list::handle(store, sessions, req).await,
            "payouts-list" => payouts_list::handle(store, sessions, req).await,
            "payments-webhook" => payments_webhook::handle(store, gateway, store, &self.webhook_secret, req).await,
            "not-found" => not_found::handle(req).await,
            _ => return None,
        };
        Some(edge::http::respond(outcome))
    }
}
