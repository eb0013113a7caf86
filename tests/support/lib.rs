//! What the tests share: the local runner spawned on a random port with fresh storage,
//! and resources on the moto server that `scripts/test` starts.

use std::path::PathBuf;

use domain::testing::OutboxProbe;
use local::{Functions, LocalConfig, Retry, Subscription};
use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::Value;

pub use serde_json::json;

pub mod deployed;
pub mod lambda;
pub mod localstripe;
pub mod moto;

pub mod recorder;
pub mod samples;
pub mod stack;
pub mod write_units;

/// The repository root, for tests that read its files.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is inside the repository").to_path_buf()
}

/// `template.yaml` as written (its `!Ref`, `!Sub` and friends kept as tagged values).
pub fn template() -> serde_norway::Value {
    let text = std::fs::read_to_string(repo_root().join("template.yaml")).expect("template.yaml");
    serde_norway::from_str(&text).expect("template.yaml parses")
}

/// How long a test waits for something that should take milliseconds (or a short timeout).
pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(15);

/// Polls `check` until it returns `Some`, for effects that happen in the background
/// (an expiry, a consumer, a webhook) and give the test nothing to await.
pub async fn eventually<T, F, Fut>(what: &str, check: F) -> T
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "gave up waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

/// A unique, lower-case resource name, so tests never share a table, bus or queue.
pub fn unique_name(prefix: &str) -> String {
    format!("{prefix}-{}", ulid::Ulid::new().to_string().to_lowercase())
}

/// The local runner, serving on a random port over a fresh in-memory store.
#[derive(Clone)]
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// The built-in payment gateway, to act as a browser running Stripe.js would.
    pub gateway: Option<embedded::TestGateway>,
    /// The ticket files, as the runner keeps them.
    pub files: embedded::LocalFiles,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Vec::new()).await
}

/// The local runner with its event flow delivering to the product's consumers and to
/// `extra` subscriptions (retried quickly).
pub async fn spawn_app_with(extra: Vec<Subscription>) -> TestApp {
    spawn_app_configured(LocalConfig::for_tests(), extra).await
}

/// The local runner with `config`, e.g. a reservation timeout of seconds.
pub async fn spawn_app_configured(mut config: LocalConfig, extra: Vec<Subscription>) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let address = format!("http://{}", listener.local_addr().expect("bound address"));
    config.public_origin = domain::payouts::PublicOrigin(address.clone());
    let store = config.open_store().expect("in-memory store");
    let functions = Functions::new(store.clone(), &config).expect("the local functions start");
    let gateway = functions.test_gateway().cloned();
    let files = functions.files().clone();
    let retry = Retry { attempts: 5, first_delay: std::time::Duration::from_millis(5) };
    let mut subscriptions = local::subscriptions(&functions);
    subscriptions.extend(extra);
    local::start_event_flow(&functions, subscriptions, retry);
    tokio::spawn(local::serve(listener, functions));
    TestApp { address, client: reqwest::Client::new(), gateway, files }
}

/// Stripe's event of `kind` about `object`, as its webhook sends it.
pub fn stripe_event(id: &str, kind: &str, created: i64, object: Value) -> String {
    json!({ "id": id, "object": "event", "type": kind, "created": created, "livemode": false,
            "pending_webhooks": 1, "data": { "object": object } })
    .to_string()
}

/// Stripe's `charge.refunded` for the 45.00 charge of `intent`, `amount_refunded` of it back.
pub fn charge_refunded(id: &str, intent: &str, amount_refunded: i64) -> String {
    let object = json!({ "id": "ch_1", "object": "charge", "payment_intent": intent, "amount": 4500,
        "amount_refunded": amount_refunded, "refunded": amount_refunded == 4500,
        "refunds": { "data": [{ "id": format!("re_{id}") }] } });
    stripe_event(id, "charge.refunded", chrono::Utc::now().timestamp(), object)
}

/// A small, well-formed one-page PDF.
pub const SAMPLE_PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n\
3 0 obj<</Type/Page/MediaBox[0 0 200 100]/Parent 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The `session` cookie this response sets, as a `Cookie` header value.
    pub fn session_cookie(&self) -> Option<String> {
        self.set_cookie().map(|cookie| cookie.split(';').next().unwrap_or_default().to_owned())
    }

    /// The whole `Set-Cookie` header for the session.
    pub fn set_cookie(&self) -> Option<&str> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find(|value| value.starts_with("session="))
    }

    /// The `message` of each error in the body.
    pub fn messages(&self) -> Vec<&str> {
        self.errors().iter().filter_map(|error| error["message"].as_str()).collect()
    }

    /// The `field` of each error in the body (`None` for an error without one).
    pub fn fields(&self) -> Vec<Option<&str>> {
        self.errors().iter().map(|error| error["field"].as_str()).collect()
    }

    fn errors(&self) -> &[Value] {
        self.body["errors"].as_array().map(Vec::as_slice).unwrap_or_default()
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("the app answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a body");
        let body =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        Reply { status, headers, body }
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.send(self.client.post(self.url(path)).json(body)).await
    }

    pub async fn post_raw(&self, path: &str, body: &'static str) -> Reply {
        self.send(self.client.post(self.url(path)).header("content-type", "application/json").body(body)).await
    }

    pub async fn signup(&self, email: &str, password: &str) -> Reply {
        self.post_json("/api/users/signup", &json!({ "email": email, "password": password })).await
    }

    pub async fn signin(&self, email: &str, password: &str) -> Reply {
        self.post_json("/api/users/signin", &json!({ "email": email, "password": password })).await
    }

    /// Signs up `email` and returns its session as a `Cookie` header value.
    pub async fn session(&self, email: &str) -> String {
        let reply = self.signup(email, "correct horse battery").await;
        assert_eq!(reply.status, 201, "signing up {email}: {}", reply.body);
        reply.session_cookie().expect("a session cookie")
    }

    /// The token of the newest mail to `to` whose link opens the web client's `page` (as
    /// `verify-email` or `reset-password`), once the runner has sent one.
    pub async fn mailed_token(&self, to: &str, page: &str) -> String {
        let marker = format!("/#/{page}?token=");
        eventually(&format!("a mail to {to} linking to {page}"), || async {
            let mail = self.get("/_local/mail").await.body;
            let text = mail.as_array()?.iter().filter(|mail| mail["to"] == to).find_map(|mail| {
                let text = mail["text"].as_str()?;
                text.contains(&marker).then(|| text.to_owned())
            })?;
            // A token is a ULID, a dot and base64url: nothing in it is percent-encoded.
            Some(text.split(&marker).nth(1)?.split_whitespace().next()?.to_owned())
        })
        .await
    }

    /// Verifies the e-mail address of the account `cookie` is a session of (signed up with
    /// `email`) from its verification mail's link, unless it is verified already.
    pub async fn verify_email(&self, email: &str, cookie: &str) {
        let current = self.with_session(reqwest::Method::GET, "/api/users/currentuser", cookie, None).await;
        if current.body["currentUser"]["emailVerified"] == true {
            return;
        }
        let token = self.mailed_token(email, "verify-email").await;
        let verified = self.post_json("/api/users/verify-email", &json!({ "token": token })).await;
        assert_eq!(verified.status, 204, "verifying {email}: {}", verified.body);
    }

    /// A request with the session `cookie`.
    pub async fn with_session(&self, method: reqwest::Method, path: &str, cookie: &str, body: Option<&Value>) -> Reply {
        let request = self.client.request(method, self.url(path)).header(COOKIE, cookie);
        self.send(match body {
            Some(body) => request.json(body),
            None => request,
        })
        .await
    }

    /// Asks to upload `bytes` as `content_type` for `ticket` (as its seller, `cookie`), then
    /// PUTs them to the upload URL with the headers it came with, as a browser does: the
    /// request's reply, and the PUT's status when there was an URL.
    pub async fn upload_file(
        &self,
        cookie: &str,
        ticket: &str,
        name: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> (Reply, Option<u16>) {
        let declared = json!({ "fileName": name, "contentType": content_type, "size": bytes.len() });
        let reply = self
            .with_session(reqwest::Method::POST, &format!("/api/tickets/{ticket}/file"), cookie, Some(&declared))
            .await;
        let Some(url) = reply.body["url"].as_str() else { return (reply, None) };
        let mut put = self.client.put(url).body(bytes.to_vec());
        for (name, value) in reply.body["headers"].as_object().into_iter().flatten() {
            if name != "content-length" {
                put = put.header(name, value.as_str().unwrap_or_default());
            }
        }
        let status = put.send().await.expect("the storage answers").status().as_u16();
        (reply, Some(status))
    }

    /// Attaches [`SAMPLE_PDF`] to `ticket`, as its seller.
    pub async fn attach_pdf(&self, cookie: &str, ticket: &str) {
        let (reply, put) = self.upload_file(cookie, ticket, "ticket.pdf", "application/pdf", SAMPLE_PDF).await;
        assert_eq!((reply.status, put), (201, Some(200)), "attaching a file to {ticket}: {}", reply.body);
    }

    /// Sends Stripe's `event` to the payments webhook, signed with the runner's secret.
    pub async fn deliver_signed(&self, event: &str) -> Reply {
        let now = chrono::Utc::now().timestamp();
        let secret = domain::config::Secret::new(local::LOCAL_WEBHOOK_SECRET);
        self.deliver(event, Some(stripe_adapter::webhook::sign(event.as_bytes(), &secret, now))).await
    }

    /// Sends `event` to the payments webhook as Stripe does, with `signature` if any.
    pub async fn deliver(&self, event: &str, signature: Option<String>) -> Reply {
        let request = self
            .client
            .post(self.url("/api/payments/webhook"))
            .header("content-type", "application/json; charset=utf-8")
            .body(event.to_owned());
        self.send(match signature {
            Some(signature) => request.header("stripe-signature", signature),
            None => request,
        })
        .await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.client.get(self.url(path))).await
    }

    /// `POST /api/tickets` as the holder of `cookie`.
    pub async fn create_ticket(&self, cookie: &str, ticket: &Value) -> Reply {
        self.with_session(reqwest::Method::POST, "/api/tickets", cookie, Some(ticket)).await
    }

    /// `GET /api/users/currentuser` carrying `cookie` (a `Cookie` header value), if any.
    pub async fn current_user(&self, cookie: Option<&str>) -> Reply {
        let request = self.client.get(self.url("/api/users/currentuser"));
        self.send(match cookie {
            Some(cookie) => request.header(COOKIE, cookie),
            None => request,
        })
        .await
    }

    /// `GET /api/users/currentuser` with `Authorization: Bearer {token}`.
    pub async fn current_user_bearer(&self, token: &str) -> Reply {
        self.send(self.client.get(self.url("/api/users/currentuser")).bearer_auth(token)).await
    }
}

/// The embedded store's outbox, read as the local relay reads it.
pub struct EmbeddedOutbox(pub embedded::EmbeddedStore);

impl OutboxProbe for EmbeddedOutbox {
    async fn events(&self) -> Vec<domain::events::Event> {
        self.0.outbox_pending(usize::MAX).await.expect("the embedded outbox reads")
    }
}
