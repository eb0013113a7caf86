//! The local runner: every function's handler, called in process at the paths and
//! methods the HTTP API routes to it in `template.yaml`, over the embedded adapters.

use std::collections::HashMap;
use std::path::PathBuf;

use axum::extract::{Path, RawQuery, State};
use axum::routing::{MethodFilter, on};
use lambda_http::http::Method;
use lambda_http::{Body, Request, RequestExt};
use std::sync::Arc;
use std::time::Duration;

use shared::adapters::embedded::{relay_outbox, run_schedules};
use shared::adapters::in_process::{Retry, Subscription};
use shared::adapters::scheduler::ExpiryInput;
use shared::adapters::{
    EmbeddedDb, EmbeddedInbox, EmbeddedNotificationStore, EmbeddedOrderStore, EmbeddedScheduler, EmbeddedTicketStore,
    EmbeddedUserStore, InProcessBus, StripeGateway, TestGateway,
};
use shared::auth::Sessions;
use shared::config::{self, AuthConfig, ConfigError, Secret, StripeConfig};
use shared::http::HttpResponse;
use shared::notifications::LogSender;
use shared::payments::{Intent, IntentRequest};
use shared::ports::PaymentGateway;

/// One API Gateway route: the function it invokes, its method and path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub function: &'static str,
    pub method: &'static str,
    pub path: &'static str,
}

/// Every route of the HTTP API, as `template.yaml` declares them.
pub const ROUTES: &[Route] = &[
    Route { function: "users-signup", method: "POST", path: "/api/users/signup" },
    Route { function: "users-signin", method: "POST", path: "/api/users/signin" },
    Route { function: "users-signout", method: "POST", path: "/api/users/signout" },
    Route { function: "users-currentuser", method: "GET", path: "/api/users/currentuser" },
    Route { function: "tickets-create", method: "POST", path: "/api/tickets" },
    Route { function: "tickets-list", method: "GET", path: "/api/tickets" },
    Route { function: "tickets-get", method: "GET", path: "/api/tickets/{id}" },
    Route { function: "tickets-update", method: "PUT", path: "/api/tickets/{id}" },
    Route { function: "tickets-delete", method: "DELETE", path: "/api/tickets/{id}" },
    Route { function: "orders-create", method: "POST", path: "/api/orders" },
    Route { function: "orders-list", method: "GET", path: "/api/orders" },
    Route { function: "orders-get", method: "GET", path: "/api/orders/{id}" },
    Route { function: "orders-cancel", method: "DELETE", path: "/api/orders/{id}" },
    Route { function: "expiration-get", method: "GET", path: "/api/expiration/{orderId}" },
    Route { function: "notifications-list", method: "GET", path: "/api/notifications" },
    Route { function: "payments-create", method: "POST", path: "/api/payments" },
    Route { function: "payments-list", method: "GET", path: "/api/payments" },
    Route { function: "payments-webhook", method: "POST", path: "/api/payments/webhook" },
];

/// The function behind the `$default` route: whatever no route matches.
pub const FALLBACK: &str = "not-found";

/// Every function's handler over the embedded adapters.
#[derive(Clone)]
pub struct Functions {
    users: EmbeddedUserStore,
    tickets: EmbeddedTicketStore,
    orders: EmbeddedOrderStore,
    notifications: EmbeddedNotificationStore,
    scheduler: EmbeddedScheduler,
    inbox: EmbeddedInbox,
    gateway: Gateway,
    webhook_secret: Secret,
    sessions: Sessions,
    reservation_timeout: Duration,
}

/// Stripe when a key is configured, else the built-in test gateway.
#[derive(Clone)]
pub enum Gateway {
    Test(TestGateway),
    Stripe(Box<StripeGateway>),
}

impl PaymentGateway for Gateway {
    async fn create_intent(&self, request: &IntentRequest<'_>) -> shared::Result<Intent> {
        match self {
            Gateway::Test(gateway) => gateway.create_intent(request).await,
            Gateway::Stripe(gateway) => gateway.create_intent(request).await,
        }
    }

    async fn confirm(&self, intent_id: &str, payment_method: &str) -> shared::Result<Intent> {
        match self {
            Gateway::Test(gateway) => gateway.confirm(intent_id, payment_method).await,
            Gateway::Stripe(gateway) => gateway.confirm(intent_id, payment_method).await,
        }
    }

    async fn get_intent(&self, intent_id: &str) -> shared::Result<Intent> {
        match self {
            Gateway::Test(gateway) => gateway.get_intent(intent_id).await,
            Gateway::Stripe(gateway) => gateway.get_intent(intent_id).await,
        }
    }

    async fn refund(&self, intent_id: &str) -> shared::Result<String> {
        match self {
            Gateway::Test(gateway) => gateway.refund(intent_id).await,
            Gateway::Stripe(gateway) => gateway.refund(intent_id).await,
        }
    }
}

impl Functions {
    pub fn new(db: EmbeddedDb, config: &LocalConfig) -> anyhow::Result<Self> {
        let gateway = match &config.stripe {
            None => Gateway::Test(TestGateway::new()),
            Some(stripe) => {
                Gateway::Stripe(Box::new(StripeGateway::new(&stripe.secret_key, stripe.api_base.as_deref())?))
            }
        };
        Ok(Self {
            users: EmbeddedUserStore::new(db.clone()),
            tickets: EmbeddedTicketStore::new(db.clone()),
            orders: EmbeddedOrderStore::new(db.clone()),
            notifications: EmbeddedNotificationStore::new(db.clone()),
            scheduler: EmbeddedScheduler::new(db.clone()),
            inbox: EmbeddedInbox::new(db),
            gateway,
            webhook_secret: config.webhook_secret.clone(),
            sessions: Sessions::new(&config.auth),
            reservation_timeout: config.reservation_timeout,
        })
    }

    /// The built-in test gateway, when that is the one in use.
    pub fn test_gateway(&self) -> Option<&TestGateway> {
        match &self.gateway {
            Gateway::Test(gateway) => Some(gateway),
            Gateway::Stripe(_) => None,
        }
    }

    /// Invokes the named function with `req`, as Lambda would; `None` for an unknown name.
    pub async fn invoke(&self, function: &str, req: Request) -> Option<HttpResponse> {
        Some(match function {
            "users-signup" => users_signup::handle(&self.users, &self.sessions, req).await,
            "users-signin" => users_signin::handle(&self.users, &self.sessions, req).await,
            "users-signout" => users_signout::handle(req).await,
            "users-currentuser" => users_currentuser::handle(&self.sessions, req).await,
            "tickets-create" => tickets_create::handle(&self.tickets, &self.sessions, req).await,
            "tickets-list" => tickets_list::handle(&self.tickets, req).await,
            "tickets-get" => tickets_get::handle(&self.tickets, req).await,
            "tickets-update" => tickets_update::handle(&self.tickets, &self.sessions, req).await,
            "tickets-delete" => tickets_delete::handle(&self.tickets, &self.sessions, req).await,
            "orders-create" => {
                orders_create::handle(&self.orders, &self.tickets, &self.sessions, self.reservation_timeout, req).await
            }
            "orders-list" => orders_list::handle(&self.orders, &self.sessions, req).await,
            "orders-get" => orders_get::handle(&self.orders, &self.sessions, req).await,
            "orders-cancel" => orders_cancel::handle(&self.orders, &self.tickets, &self.sessions, req).await,
            "expiration-get" => expiration_get::handle(&self.orders, &self.sessions, req).await,
            "notifications-list" => notifications_list::handle(&self.notifications, &self.sessions, req).await,
            "payments-create" => {
                payments_create::handle(&self.orders, &self.tickets, &self.gateway, &self.sessions, req).await
            }
            "payments-list" => payments_list::handle(&self.orders, &self.sessions, req).await,
            "payments-webhook" => {
                let webhook = payments_webhook::Webhook {
                    orders: &self.orders,
                    tickets: &self.tickets,
                    gateway: &self.gateway,
                    inbox: &self.inbox,
                    secret: &self.webhook_secret,
                };
                payments_webhook::handle(webhook, req).await
            }
            "not-found" => not_found::handle(req).await,
            _ => return None,
        })
    }
}

/// The event consumers, each with the event types its EventBridge rule routes to its
/// queue in `template.yaml`.
pub fn subscriptions(functions: &Functions) -> Vec<Subscription> {
    let scheduler = functions.scheduler.clone();
    let notifications = functions.notifications.clone();
    vec![
        Subscription {
            consumer: "expiration-schedule".to_owned(),
            types: shared::orders::EXPIRATION_CONSUMES.to_vec(),
            handler: Arc::new(move |batch| {
                let scheduler = scheduler.clone();
                Box::pin(async move { expiration_schedule::handle(&scheduler, batch).await })
            }),
        },
        Subscription {
            consumer: "notifications-consumer".to_owned(),
            types: shared::notifications::CONSUMES.to_vec(),
            handler: Arc::new(move |batch| {
                let notifications = notifications.clone();
                Box::pin(async move { notifications_consumer::handle(&notifications, &LogSender, batch).await })
            }),
        },
    ]
}

/// Starts the local event flow: committed writes' outbox events go to an in-process bus
/// that delivers them to `subscriptions`, asynchronously, with retries; and the local
/// scheduler fires each order's expiry on time (overdue ones at once after a restart).
pub fn start_event_flow(functions: &Functions, db: EmbeddedDb, subscriptions: Vec<Subscription>, retry: Retry) {
    tokio::spawn(relay_outbox(db, InProcessBus::new(subscriptions, retry)));
    let (orders, tickets) = (functions.orders.clone(), functions.tickets.clone());
    tokio::spawn(run_schedules(functions.scheduler.clone(), move |order| {
        let (orders, tickets) = (orders.clone(), tickets.clone());
        async move {
            expiration_fire::handle(&orders, &tickets, ExpiryInput { order_id: order.to_string() }).await.map(|_| ())
        }
    }));
}

/// Where the local runner keeps its data.
#[derive(Debug, Clone)]
pub enum Storage {
    /// A database file in this directory, kept across restarts.
    Dir(PathBuf),
    /// Nothing kept: a fresh store each start.
    Memory,
}

/// The local runner's settings, with defaults that need no setup.
#[derive(Debug, Clone)]
pub struct LocalConfig {
    pub host: String,
    pub port: u16,
    pub storage: Storage,
    pub auth: AuthConfig,
    pub reservation_timeout: Duration,
    /// Stripe, when `STRIPE_SECRET_KEY` is set; the test gateway otherwise.
    pub stripe: Option<StripeConfig>,
    pub webhook_secret: Secret,
}

/// Verifies local webhook calls when `STRIPE_WEBHOOK_SECRET` is not set.
pub const LOCAL_WEBHOOK_SECRET: &str = "whsec_local_development";

/// Signs local sessions when `JWT_SECRET` is not set. Never used by a deployed function.
const LOCAL_JWT_SECRET: &str = "local-development-secret-not-for-deployment";

impl LocalConfig {
    /// `HOST` (127.0.0.1), `PORT` (3000), `LOCAL_DATA_DIR` (.local-data; `:memory:` keeps
    /// nothing), `JWT_SECRET` (a local development secret), `SESSION_TTL_SECONDS` (3600),
    /// `RESERVATION_TIMEOUT` minutes (15) or `RESERVATION_TIMEOUT_SECONDS`.
    pub fn from_env() -> Result<Self, ConfigError> {
        let port = match config::optional("PORT") {
            None => 3000,
            Some(raw) => raw
                .parse()
                .map_err(|_| ConfigError::Invalid { name: "PORT", reason: format!("not a port number: {raw:?}") })?,
        };
        let storage = match config::optional("LOCAL_DATA_DIR").as_deref() {
            Some(":memory:") => Storage::Memory,
            Some(dir) => Storage::Dir(dir.into()),
            None => Storage::Dir(".local-data".into()),
        };
        let secret = config::optional("JWT_SECRET").unwrap_or_else(|| LOCAL_JWT_SECRET.to_owned());
        Ok(Self {
            host: config::optional("HOST").unwrap_or_else(|| "127.0.0.1".to_owned()),
            port,
            storage,
            auth: AuthConfig::new(Secret::new(secret), config::seconds("SESSION_TTL_SECONDS", 3600)?)?,
            reservation_timeout: config::reservation_timeout()?,
            stripe: StripeConfig::from_env(),
            webhook_secret: Secret::new(
                config::optional("STRIPE_WEBHOOK_SECRET").unwrap_or_else(|| LOCAL_WEBHOOK_SECRET.to_owned()),
            ),
        })
    }

    /// The same defaults, in memory, with `secret` signing sessions: what tests start.
    pub fn for_tests(secret: &str) -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 0,
            storage: Storage::Memory,
            auth: AuthConfig::new(Secret::new(secret), std::time::Duration::from_secs(3600))
                .expect("a test secret long enough"),
            reservation_timeout: Duration::from_secs(15 * 60),
            stripe: None,
            webhook_secret: Secret::new(LOCAL_WEBHOOK_SECRET),
        }
    }

    pub fn open_db(&self) -> anyhow::Result<EmbeddedDb> {
        match &self.storage {
            Storage::Dir(dir) => EmbeddedDb::open(&dir.join("ticketing.redb")),
            Storage::Memory => Ok(EmbeddedDb::in_memory()),
        }
    }
}

/// The HTTP API: each route of [`ROUTES`], then the fallback for everything else
/// (an unknown path and a known path with another method alike, as API Gateway does).
pub fn router(functions: Functions) -> axum::Router {
    let router = ROUTES.iter().fold(axum::Router::new(), |router, route| {
        let method = Method::from_bytes(route.method.as_bytes()).expect("routes use valid methods");
        let filter = MethodFilter::try_from(method).expect("routes use routable methods");
        let function = route.function;
        router.route(
            route.path,
            on(
                filter,
                move |state: State<Functions>,
                      params: Option<Path<HashMap<String, String>>>,
                      query: RawQuery,
                      req: axum::extract::Request| {
                    invoke(state, function, params.map(|Path(params)| params).unwrap_or_default(), query, req)
                },
            ),
        )
    });
    let fallback = |state: State<Functions>, query: RawQuery, req: axum::extract::Request| {
        invoke(state, FALLBACK, HashMap::new(), query, req)
    };
    router.fallback(fallback).method_not_allowed_fallback(fallback).with_state(functions)
}

/// API Gateway's payload limit.
const MAX_BODY: usize = 10 * 1024 * 1024;

async fn invoke(
    State(functions): State<Functions>,
    function: &'static str,
    params: HashMap<String, String>,
    RawQuery(query): RawQuery,
    req: axum::extract::Request,
) -> axum::response::Response {
    let (parts, body) = req.into_parts();
    let (method, path) = (parts.method.clone(), parts.uri.path().to_owned());
    let response = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => {
            let body = match String::from_utf8(bytes.to_vec()) {
                _ if bytes.is_empty() => Body::Empty,
                Ok(text) => Body::Text(text),
                Err(binary) => Body::Binary(binary.into_bytes()),
            };
            let req = Request::from_parts(parts, body)
                .with_path_parameters(params)
                .with_query_string_parameters(parse_query(query.as_deref().unwrap_or("")));
            functions.invoke(function, req).await.expect("every route names a known function")
        }
        Err(_) => shared::http::error_response(shared::Error::BadRequest("Request body is too large".to_owned())),
    };
    tracing::info!(%method, %path, function, status = response.status().as_u16(), "request");
    let (parts, body) = response.into_parts();
    axum::response::Response::from_parts(parts, axum::body::Body::from(body.as_ref().to_vec()))
}

/// A query string as API Gateway hands it over: percent-decoded, repeated keys kept.
fn parse_query(query: &str) -> HashMap<String, Vec<String>> {
    let pairs: Vec<(String, String)> =
        axum::extract::Query::try_from_uri(&format!("/?{query}").parse().unwrap_or_default())
            .map(|axum::extract::Query(pairs)| pairs)
            .unwrap_or_default();
    pairs.into_iter().fold(HashMap::new(), |mut map, (key, value)| {
        map.entry(key).or_insert_with(Vec::new).push(value);
        map
    })
}

/// Serves the API on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, functions: Functions) -> std::io::Result<()> {
    axum::serve(listener, router(functions)).await
}
