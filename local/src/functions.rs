//! Every function's handler over the embedded adapters, invoked by name as Lambda would.

use domain::entities::{AccountState, Intent, IntentRequest, PayoutTerms, Reversal, TransferRequest};
use domain::ids::UserId;
use domain::mail::MailSettings;
use domain::money::Money;
use domain::orders::{ReservationRules, ReservationTimeout};
use domain::payments::GatewayEvent;
use domain::payouts::PublicOrigin;
use domain::ports::{GatewayEvents, PaymentGateway, PayoutGateway};
use domain::tickets::ListingCap;
use domain::users::Throttles;
use edge::address::{OriginSecret, Throttling};
use edge::auth::{SessionIssuer, SessionVerifier};
use edge::client_config::ClientConfig;
use edge::passwords::Argon2Passwords;
use edge::{Request, Response};
use embedded::{EmbeddedStore, LocalFiles, TestGateway};
#[cfg(feature = "stripe")]
use stripe_adapter::StripeGateway;
use stripe_adapter::{ConnectWebhookSecret, WebhookSecret};

use crate::config::LocalConfig;

/// Stripe's two webhook endpoints: payments', and Connect's (connected accounts).
#[derive(Debug, Clone, Copy)]
pub enum Webhook {
    Payments,
    Connect,
}

#[derive(Clone)]
pub struct Functions {
    store: EmbeddedStore,
    files: LocalFiles,
    gateway: Gateway,
    issuer: SessionIssuer,
    verifier: SessionVerifier,
    reservation_timeout: ReservationTimeout,
    reservation_rules: ReservationRules,
    throttles: Throttles,
    origin: OriginSecret,
    listing_cap: ListingCap,
    payout_terms: PayoutTerms,
    public_origin: PublicOrigin,
    mail: MailSettings,
    webhook_secret: WebhookSecret,
    connect_webhook_secret: ConnectWebhookSecret,
    client_config: ClientConfig,
}

/// Stripe when a key is configured (and the runner built with the `stripe` feature), else
/// the built-in test gateway.
#[derive(Clone)]
pub enum Gateway {
    Test(TestGateway),
    #[cfg(feature = "stripe")]
    Stripe(Box<StripeGateway>),
}

/// `$call` on whichever gateway `$gateway` is, named `$inner`.
macro_rules! each {
    ($gateway:expr, $inner:ident => $call:expr) => {
        match $gateway {
            Gateway::Test($inner) => $call,
            #[cfg(feature = "stripe")]
            Gateway::Stripe($inner) => $call,
        }
    };
}

impl GatewayEvents for Gateway {
    async fn since(&self, since: chrono::DateTime<chrono::Utc>) -> domain::Result<Vec<GatewayEvent>> {
        each!(self, gateway => gateway.since(since).await)
    }
}

impl PaymentGateway for Gateway {
    async fn create_intent(&self, request: &IntentRequest<'_>) -> domain::Result<Intent> {
        each!(self, gateway => gateway.create_intent(request).await)
    }

    async fn confirm(&self, intent_id: &str, payment_method: &str) -> domain::Result<Intent> {
        each!(self, gateway => gateway.confirm(intent_id, payment_method).await)
    }

    async fn get_intent(&self, intent_id: &str) -> domain::Result<Intent> {
        each!(self, gateway => gateway.get_intent(intent_id).await)
    }

    async fn refund(&self, intent_id: &str) -> domain::Result<String> {
        each!(self, gateway => gateway.refund(intent_id).await)
    }

    async fn refund_of(&self, intent_id: &str) -> domain::Result<Option<String>> {
        each!(self, gateway => gateway.refund_of(intent_id).await)
    }

    async fn cancel_intent(&self, intent_id: &str) -> domain::Result<Intent> {
        each!(self, gateway => gateway.cancel_intent(intent_id).await)
    }
}

impl PayoutGateway for Gateway {
    async fn create_account(&self, seller: &UserId) -> domain::Result<String> {
        each!(self, gateway => gateway.create_account(seller).await)
    }

    async fn account(&self, account: &str) -> domain::Result<AccountState> {
        each!(self, gateway => gateway.account(account).await)
    }

    async fn onboarding_link(&self, account: &str, return_url: &str, refresh_url: &str) -> domain::Result<String> {
        each!(self, gateway => gateway.onboarding_link(account, return_url, refresh_url).await)
    }

    async fn dashboard_link(&self, account: &str) -> domain::Result<String> {
        each!(self, gateway => gateway.dashboard_link(account).await)
    }

    async fn transfer(&self, request: &TransferRequest<'_>) -> domain::Result<String> {
        each!(self, gateway => gateway.transfer(request).await)
    }

    async fn transfer_of(&self, order: &str) -> domain::Result<Option<String>> {
        each!(self, gateway => gateway.transfer_of(order).await)
    }

    async fn reverse(&self, transfer: &str, amount: Money, key: &str) -> domain::Result<Reversal> {
        each!(self, gateway => gateway.reverse(transfer, amount, key).await)
    }

    async fn reversals_of(&self, transfer: &str) -> domain::Result<Vec<Reversal>> {
        each!(self, gateway => gateway.reversals_of(transfer).await)
    }
}

impl Functions {
    pub fn new(store: EmbeddedStore, config: &LocalConfig) -> anyhow::Result<Self> {
        let gateway = match &config.stripe {
            None => Gateway::Test(TestGateway::in_store(&store)),
            #[cfg(feature = "stripe")]
            Some(stripe) => Gateway::Stripe(Box::new(StripeGateway::new(stripe)?)),
            #[cfg(not(feature = "stripe"))]
            Some(_) => anyhow::bail!(
                "STRIPE_SECRET_KEY is set, and this runner was built without Stripe's client: \
                 cargo run -p local --features stripe"
            ),
        };
        Ok(Self {
            files: LocalFiles::new(store.clone(), &config.public_origin.0),
            store,
            gateway,
            issuer: config.issuer.clone(),
            verifier: config.verifier.clone(),
            reservation_timeout: config.reservation_timeout,
            reservation_rules: ReservationRules { limit: config.reservation_limit, cooldown: config.reorder_cooldown },
            throttles: config.throttles,
            listing_cap: config.listing_cap,
            origin: config.origin.clone(),
            payout_terms: config.payout_terms,
            public_origin: config.public_origin.clone(),
            mail: MailSettings { origin: config.public_origin.clone(), reservations: config.mail_reservations },
            webhook_secret: config.webhook_secret.clone(),
            connect_webhook_secret: config.connect_webhook_secret.clone(),
            client_config: config.client.clone().with_payouts(config.payout_terms),
        })
    }

    fn throttling(&self) -> Throttling<'_> {
        Throttling { limits: &self.throttles, origin: &self.origin }
    }

    /// Whether a new reservation is mailed (`MAIL_RESERVATIONS`).
    pub fn mail_reservations(&self) -> domain::mail::MailReservations {
        self.mail.reservations
    }

    /// The embedded store every function works over.
    pub fn store(&self) -> &EmbeddedStore {
        &self.store
    }

    /// The ticket files, as S3 would keep them.
    pub fn files(&self) -> &LocalFiles {
        &self.files
    }

    /// Runs the check of a stored ticket file, as S3's `Object Created` event does.
    pub async fn check_file(&self, key: &str) -> domain::Result<domain::files::Checked> {
        files_check::handle(&self.store, &self.files, files_check::ObjectCreated::of(key)).await
    }

    /// Where the web client is served, for links that leave the API.
    pub fn public_origin(&self) -> &PublicOrigin {
        &self.public_origin
    }

    /// Mails each notification waiting for the mail sender, as the mail sender does with the
    /// outbound queue; one that fails stays queued for the next round. How many were done.
    pub async fn send_mail(&self) -> domain::Result<usize> {
        let mut done = 0;
        for notification in self.store.queued_mail().await? {
            let id = notification.id.clone();
            let mailer = (&self.store, &edge::secrets::RandomSecrets);
            match mail_send::handle(&self.store, mailer, &self.store, &self.mail, notification).await {
                Ok(()) => {
                    self.store.dequeue_mail(&id).await?;
                    done += 1;
                }
                Err(error) => tracing::warn!(error = ?error, notification = %id, "mail not sent; retried"),
            }
        }
        Ok(done)
    }

    /// The payment gateway in use.
    pub fn gateway(&self) -> &Gateway {
        &self.gateway
    }

    /// Signs a webhook body as Stripe would for `webhook`'s endpoint secret of this runner.
    fn sign_webhook(&self, webhook: Webhook, body: &[u8]) -> String {
        let secret = match webhook {
            Webhook::Payments => &self.webhook_secret.0,
            Webhook::Connect => &self.connect_webhook_secret.0,
        };
        stripe_adapter::webhook::sign(body, secret, chrono::Utc::now().timestamp())
    }

    /// Sends Stripe's `event` to `webhook`, signed as Stripe signs it; the function's answer
    /// (`None`: the function is not known).
    pub async fn deliver_stripe_event(&self, webhook: Webhook, event: String) -> edge::Result<Option<Response>> {
        let (function, path) = match webhook {
            Webhook::Payments => ("payments-webhook", "/api/payments/webhook"),
            Webhook::Connect => ("payouts-webhook", "/api/payouts/webhook"),
        };
        let request = lambda_http::http::Request::builder()
            .method("POST")
            .uri(path)
            .header("content-type", "application/json")
            .header("stripe-signature", self.sign_webhook(webhook, event.as_bytes()))
            .body(lambda_http::Body::Text(event))
            .map_err(|e| domain::Error::internal(e, "a webhook request"))?;
        Ok(self.invoke(function, request).await)
    }

    /// The built-in test gateway, when that is the one in use.
    pub fn test_gateway(&self) -> Option<&TestGateway> {
        match &self.gateway {
            Gateway::Test(gateway) => Some(gateway),
            #[cfg(feature = "stripe")]
            Gateway::Stripe(_) => None,
        }
    }

    /// Invokes the named function with `req`, as Lambda would; `None` for an unknown name.
    pub async fn invoke(&self, function: &str, req: Request) -> Option<Response> {
        let (store, issuer, sessions, gateway) = (&self.store, &self.issuer, &self.verifier, &self.gateway);
        let outcome = match function {
            "users-signup" => {
                users_signup::handle(store, store, &Argon2Passwords, issuer, self.throttling(), req).await
            }
            "users-signin" => {
                users_signin::handle(store, store, &Argon2Passwords, issuer, self.throttling(), req).await
            }
            "users-signout" => users_signout::handle(store, sessions, req).await,
            "users-password-reset" => users_password_reset::handle((store, store, store), &self.origin, req).await,
            "users-password-reset-confirm" => {
                users_password_reset_confirm::handle(store, (&Argon2Passwords, &edge::secrets::RandomSecrets), req)
                    .await
            }
            "users-currentuser" => users_currentuser::handle(store, sessions, req).await,
            "users-verify-email" => users_verify_email::handle(store, &edge::secrets::RandomSecrets, req).await,
            "users-verify-email-resend" => {
                users_verify_email_resend::handle((store, store, store), sessions, req).await
            }
            "tickets-create" => {
                tickets_create::handle(store, sessions, (self.payout_terms, self.listing_cap), req).await
            }
            "tickets-list" => tickets_list::handle(store, req).await,
            "tickets-get" => tickets_get::handle(store, sessions, req).await,
            "tickets-file-upload" => tickets_file_upload::handle(store, &self.files, sessions, req).await,
            "tickets-file-get" => tickets_file_get::handle(store, &self.files, sessions, req).await,
            "orders-file-get" => orders_file_get::handle(store, &self.files, sessions, req).await,
            "tickets-update" => tickets_update::handle(store, sessions, req).await,
            "tickets-delete" => tickets_delete::handle(store, sessions, req).await,
            "orders-create" => {
                orders_create::handle(store, sessions, self.reservation_timeout, self.reservation_rules, req).await
            }
            "orders-list" => orders_list::handle(store, sessions, req).await,
            "orders-get" => orders_get::handle(store, sessions, req).await,
            "orders-cancel" => orders_cancel::handle(store, sessions, req).await,
            "orders-problem" => orders_problem::handle(store, sessions, req).await,
            "expiration-get" => expiration_get::handle(store, sessions, req).await,
            "notifications-list" => notifications_list::handle(store, sessions, req).await,
            "payments-create" => payments_create::handle(store, gateway, store, sessions, req).await,
            "client-config" => client_config::handle(&self.client_config, req).await,
            "payments-list" => payments_list::handle(store, sessions, req).await,
            "payouts-list" => payouts_list::handle(store, store, sessions, req).await,
            "payouts-account-get" => payouts_account_get::handle(store, gateway, store, sessions, req).await,
            "payouts-account-link" => {
                payouts_account_link::handle(store, gateway, store, sessions, &self.public_origin, req).await
            }
            "payments-webhook" => payments_webhook::handle(store, gateway, store, &self.webhook_secret, req).await,
            "payouts-webhook" => {
                payouts_webhook::handle(store, gateway, store, &self.connect_webhook_secret, req).await
            }
            "not-found" => not_found::handle(req).await,
            _ => return None,
        };
        Some(edge::http::respond(outcome))
    }
}
