//! The HTTP API as API Gateway routes it: each route of `template.yaml` to its function,
//! everything else to the `$default` route's.

use std::collections::HashMap;

use axum::extract::{Path, RawQuery, State};
use axum::response::IntoResponse;
use axum::routing::{MethodFilter, on};
use lambda_http::http::Method;
use lambda_http::{Body, Request, RequestExt};

use crate::functions::{Functions, Webhook};
pub use edge::routes::{FALLBACK, ROUTES, Route};

/// API Gateway's payload limit.
const MAX_BODY: usize = 10 * 1024 * 1024;

/// The HTTP API: each route of [`ROUTES`], then the fallback for everything else (an
/// unknown path and a known path with another method alike, as API Gateway does).
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
    router
        .route("/", axum::routing::get(|| async { web("index.html") }))
        .route("/{asset}", axum::routing::get(|Path(name): Path<String>| async move { web(&name) }))
        .route(AUTHENTICATE, axum::routing::post(authenticate))
        .route(ONBOARDING, axum::routing::get(onboarding_page).post(complete_onboarding))
        .route(TEST_ACCOUNT, axum::routing::get(test_account))
        .route(OPENAPI, axum::routing::get(openapi))
        .route(DOCS, axum::routing::get(|| async { asset("index.html") }))
        .route("/api/docs/{asset}", axum::routing::get(|Path(name): Path<String>| async move { asset(&name) }))
        .route(
            &format!("{}/{{*key}}", embedded::FILES_PATH),
            axum::routing::put(upload_file)
                .get(download_file)
                .layer(axum::extract::DefaultBodyLimit::max(FILE_BODY_LIMIT)),
        )
        .route(DEAD_LETTERS, axum::routing::get(dead_letters))
        .route(REDRIVE, axum::routing::post(redrive))
        .fallback(fallback)
        .method_not_allowed_fallback(fallback)
        .with_state(functions)
}

/// What the file routes read of a body: more than any ticket file, so that the signature
/// (which covers the exact size) is what refuses a larger one.
const FILE_BODY_LIMIT: usize = domain::entities::FileDraft::MAX_SIZE as usize + 1024 * 1024;

#[derive(serde::Deserialize)]
struct Signed {
    expires: i64,
    signature: String,
    name: Option<String>,
}

/// S3's answer to a request its signature refuses: 403 (404 for a missing file), as text.
fn refused(refused: &embedded::Refused) -> axum::response::Response {
    let status = match refused {
        embedded::Refused::NotFound => axum::http::StatusCode::NOT_FOUND,
        _ => axum::http::StatusCode::FORBIDDEN,
    };
    (status, refused.to_string()).into_response()
}

/// A presigned PUT, as S3 takes it: stored only with the signed key, type and size, before
/// the expiry; then checked, as S3's `ObjectCreated` notification has the check function do.
async fn upload_file(
    State(functions): State<Functions>,
    Path(key): Path<String>,
    axum::extract::Query(signed): axum::extract::Query<Signed>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or_default();
    let upload = embedded::SignedUpload {
        expires: signed.expires,
        signature: &signed.signature,
        content_type: header("content-type"),
        tagging: header(domain::files::RETENTION_TAG_HEADER),
    };
    let now = chrono::Utc::now().timestamp();
    let stored = functions.files().accept_upload(&key, &upload, body.to_vec(), now).await;
    match stored {
        Ok(Ok(())) => {}
        Ok(Err(refusal)) => return refused(&refusal),
        Err(error) => return edge_response(edge::http::error_response(error)),
    }
    if let Err(error) = functions.check_file(&key).await {
        // S3 stored the file; its check is retried there, and fails here for good.
        tracing::error!(error = format!("{error:#}"), key, "checking an uploaded file failed");
    }
    axum::http::StatusCode::OK.into_response()
}

/// A presigned GET: the file, saved under its name.
async fn download_file(
    State(functions): State<Functions>,
    Path(key): Path<String>,
    axum::extract::Query(signed): axum::extract::Query<Signed>,
) -> axum::response::Response {
    let now = chrono::Utc::now().timestamp();
    let name = signed.name.unwrap_or_default();
    match functions.files().download(&key, &name, signed.expires, &signed.signature, now).await {
        Ok(Ok(file)) => {
            let disposition = domain::files::disposition(&file.name);
            let headers = [
                (axum::http::header::CONTENT_TYPE, file.content_type),
                (axum::http::header::CONTENT_DISPOSITION, disposition),
            ];
            (headers, file.bytes).into_response()
        }
        Ok(Err(refusal)) => refused(&refusal),
        Err(error) => edge_response(edge::http::error_response(error)),
    }
}

/// The browser client (`web/`), served as the bucket behind CloudFront serves it on AWS.
fn web(name: &str) -> axum::response::Response {
    match WEB_FILES.iter().find(|(file, ..)| *file == name) {
        Some((_, content_type, bytes)) => static_response(content_type, bytes),
        None => edge_response(edge::http::error_response(domain::Error::NotFound("Not found"))),
    }
}

/// The files of `web/` the runner serves, with their content types: every one of them (a
/// test checks).
pub const WEB_FILES: [(&str, &str, &[u8]); 4] = [
    ("index.html", "text/html; charset=utf-8", include_bytes!("../../web/index.html")),
    ("app.js", "text/javascript; charset=utf-8", include_bytes!("../../web/app.js")),
    ("style.css", "text/css; charset=utf-8", include_bytes!("../../web/style.css")),
    ("favicon.svg", "image/svg+xml", include_bytes!("../../web/favicon.svg")),
];

/// The bank's 3-D Secure page, as the local test gateway plays it: `{clientSecret,
/// success}`. A success completes the intent and sends its `payment_intent.succeeded`
/// event, signed, to the webhook, as Stripe would; a failure leaves the payment to retry.
pub const AUTHENTICATE: &str = "/_local/test-gateway/authenticate";

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Authentication {
    client_secret: String,
    success: bool,
}

async fn authenticate(State(functions): State<Functions>, body: axum::body::Bytes) -> axum::response::Response {
    let outcome = async {
        let answer: Authentication = serde_json::from_slice(&body)
            .map_err(|_| domain::Error::BadRequest("Expected {clientSecret, success}".to_owned()))?;
        let gateway = functions.test_gateway().ok_or(domain::Error::NotFound("Not found"))?;
        let intent_id = answer.client_secret.split("_secret_").next().unwrap_or_default().to_owned();
        let known = domain::ports::PaymentGateway::get_intent(gateway, &intent_id).await;
        if known.ok().and_then(|intent| intent.client_secret) != Some(answer.client_secret.clone()) {
            return Err(domain::Error::NotFound("No such payment"));
        }
        if !answer.success {
            return Ok(serde_json::json!({ "authenticated": false }));
        }
        let intent = gateway.complete_in_browser(&intent_id)?;
        let order = gateway.ledger().into_iter().find(|(_, known, _)| known.id == intent_id).map(|(order, ..)| order);
        let event = serde_json::json!({
            "id": format!("evt_local_{}", ulid::Ulid::new()),
            "object": "event",
            "type": "payment_intent.succeeded",
            "created": chrono::Utc::now().timestamp(),
            "livemode": false,
            "data": { "object": {
                "id": intent.id, "object": "payment_intent", "amount": intent.amount, "currency": "usd",
                "status": "succeeded", "metadata": { "order_id": order },
            } },
        })
        .to_string();
        let delivered = functions.deliver_stripe_event(Webhook::Payments, event).await?;
        tracing::info!(status = ?delivered.map(|response| response.status()), "3-D Secure passed; webhook delivered");
        Ok(serde_json::json!({ "authenticated": true }))
    };
    local_response(outcome.await)
}

/// The payment provider's hosted onboarding of a seller's payout account, as the local test
/// gateway plays it: a page whose button completes onboarding, then tells the API as
/// Stripe's `account.updated` would, and sends the seller back to where the link said (on
/// this runner's public origin only).
pub const ONBOARDING: &str = "/_local/test-gateway/onboarding";
/// A payout account as the provider's dashboard shows it.
pub const TEST_ACCOUNT: &str = "/_local/test-gateway/accounts/{id}";

#[derive(serde::Deserialize)]
struct Onboarding {
    account: String,
    #[serde(rename = "return")]
    return_url: String,
}

/// Text safe inside HTML, attribute values included.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn form<T: serde::de::DeserializeOwned>(query: &str) -> Option<T> {
    let uri = format!("/?{query}").parse().ok()?;
    axum::extract::Query::<T>::try_from_uri(&uri).ok().map(|axum::extract::Query(value)| value)
}

async fn onboarding_page(State(functions): State<Functions>, RawQuery(query): RawQuery) -> axum::response::Response {
    let found = match (functions.test_gateway(), form::<Onboarding>(query.as_deref().unwrap_or(""))) {
        (Some(gateway), Some(onboarding)) => {
            gateway.test_account(&onboarding.account).ok().flatten().map(|account| (account, onboarding))
        }
        _ => None,
    };
    let Some((account, onboarding)) = found else {
        return edge_response(edge::http::error_response(domain::Error::NotFound("No such account")));
    };
    let page = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Payout account onboarding (test mode)</title><link rel="stylesheet" href="/style.css"></head>
<body><main>
<h1>Set up payouts</h1>
<p>Test mode: this page stands in for the payment provider's hosted onboarding, where a seller gives their identity and bank account. Nothing is asked here.</p>
<p>Account <code>{account}</code>: {state}.</p>
<form method="post" action="{action}">
<input type="hidden" name="account" value="{account}">
<input type="hidden" name="return" value="{back}">
<button type="submit">Complete onboarding</button>
</form>
<p><a href="{back}">Leave without finishing</a></p>
</main></body></html>"#,
        account = escape(&account.id),
        state = if account.onboarded { "onboarding is complete" } else { "onboarding is not finished" },
        action = ONBOARDING,
        back = escape(&same_origin(&functions, &onboarding.return_url)),
    );
    axum::response::Response::builder()
        .header("content-type", "text/html; charset=utf-8")
        .header("x-content-type-options", "nosniff")
        .header("cache-control", "no-store")
        .body(axum::body::Body::from(page))
        .expect("a page")
}

/// `url` if it is on this runner's public origin, else the web client's payouts page there.
fn same_origin(functions: &Functions, url: &str) -> String {
    let origin = functions.public_origin().0.trim_end_matches('/');
    match url.strip_prefix(origin) {
        Some(rest) if rest.starts_with('/') => url.to_owned(),
        _ => format!("{origin}/#/payouts"),
    }
}

async fn complete_onboarding(State(functions): State<Functions>, body: axum::body::Bytes) -> axum::response::Response {
    let outcome = async {
        let onboarding: Onboarding = form(&String::from_utf8_lossy(&body))
            .ok_or_else(|| domain::Error::BadRequest("Expected account and return".to_owned()))?;
        let gateway = functions.test_gateway().ok_or(domain::Error::NotFound("Not found"))?;
        gateway.complete_onboarding(&onboarding.account)?;
        // Stripe's `account.updated`, signed, to the Connect webhook, as Stripe sends it.
        let event = serde_json::json!({
            "id": format!("evt_local_{}", ulid::Ulid::new()),
            "object": "event",
            "type": "account.updated",
            "account": onboarding.account,
            "created": chrono::Utc::now().timestamp(),
            "livemode": false,
            "data": { "object": { "id": onboarding.account, "object": "account", "payouts_enabled": true } },
        })
        .to_string();
        let delivered = functions.deliver_stripe_event(Webhook::Connect, event).await?;
        let status = delivered.map(|response| response.status());
        tracing::info!(account = %onboarding.account, ?status, "payout account onboarded; account.updated delivered");
        Ok(same_origin(&functions, &onboarding.return_url))
    };
    match outcome.await {
        Ok(back) => axum::response::Response::builder()
            .status(303)
            .header("location", back)
            .body(axum::body::Body::empty())
            .expect("a redirect"),
        Err(error) => edge_response(edge::http::error_response(error)),
    }
}

async fn test_account(State(functions): State<Functions>, Path(id): Path<String>) -> axum::response::Response {
    let outcome = async {
        let gateway = functions.test_gateway().ok_or(domain::Error::NotFound("Not found"))?;
        let account = gateway.test_account(&id)?.ok_or(domain::Error::NotFound("No such account"))?;
        Ok(serde_json::json!({
            "id": account.id, "payoutsEnabled": account.onboarded, "balance": account.balance.to_string(),
        }))
    };
    local_response(outcome.await)
}

/// The API's contract (`contract::json`, the committed `openapi.json`), and an interactive
/// reference of it that works offline (Swagger UI, vendored in `local/assets/docs/`).
pub const OPENAPI: &str = "/api/openapi.json";
pub const DOCS: &str = "/api/docs";

async fn openapi() -> axum::response::Response {
    static DOCUMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let document = DOCUMENT.get_or_init(contract::json);
    static_response("application/json", document.as_bytes())
}

fn asset(name: &str) -> axum::response::Response {
    let (content_type, bytes): (&str, &'static [u8]) = match name {
        "index.html" => ("text/html; charset=utf-8", include_bytes!("../assets/docs/index.html")),
        "reference.js" => ("text/javascript; charset=utf-8", include_bytes!("../assets/docs/reference.js")),
        "swagger-ui-bundle.js" => {
            ("text/javascript; charset=utf-8", include_bytes!("../assets/docs/swagger-ui-bundle.js"))
        }
        "swagger-ui.css" => ("text/css; charset=utf-8", include_bytes!("../assets/docs/swagger-ui.css")),
        _ => return edge_response(edge::http::error_response(domain::Error::NotFound("Not found"))),
    };
    static_response(content_type, bytes)
}

fn static_response(content_type: &str, bytes: &[u8]) -> axum::response::Response {
    axum::response::Response::builder()
        .header("content-type", content_type)
        .header("x-content-type-options", "nosniff")
        .header("cache-control", "no-cache")
        .body(axum::body::Body::from(bytes.to_vec()))
        .expect("a static response")
}

fn edge_response(response: edge::Response) -> axum::response::Response {
    let (parts, body) = edge::http::respond(Ok(response)).into_parts();
    axum::response::Response::from_parts(parts, axum::body::Body::from(body.as_ref().to_vec()))
}

/// The local runner's own routes (not the API's): the events consumers failed on for good.
pub const DEAD_LETTERS: &str = "/_local/dead-letters";
/// Queues every dead letter again for its consumer.
pub const REDRIVE: &str = "/_local/dead-letters/redrive";

async fn dead_letters(State(functions): State<Functions>) -> axum::response::Response {
    local_response(functions.store().dead_letters().await.map(|letters| serde_json::json!(letters)))
}

async fn redrive(State(functions): State<Functions>) -> axum::response::Response {
    let redriven = functions.store().redrive(chrono::Utc::now()).await;
    local_response(redriven.map(|count| serde_json::json!({ "redriven": count })))
}

fn local_response(outcome: domain::Result<serde_json::Value>) -> axum::response::Response {
    let response = edge::http::respond(outcome.and_then(|body| edge::http::json(200, &body)));
    let (parts, body) = response.into_parts();
    axum::response::Response::from_parts(parts, axum::body::Body::from(body.as_ref().to_vec()))
}

/// Serves the API on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, functions: Functions) -> std::io::Result<()> {
    // Each request knows its peer: API Gateway's `sourceIp`.
    axum::serve(listener, router(functions).into_make_service_with_connect_info::<std::net::SocketAddr>()).await
}

/// The request as API Gateway hands it to the function, and its response back.
async fn invoke(
    State(functions): State<Functions>,
    function: &'static str,
    params: HashMap<String, String>,
    RawQuery(query): RawQuery,
    req: axum::extract::Request,
) -> axum::response::Response {
    let (parts, body) = req.into_parts();
    let (method, path) = (parts.method.clone(), parts.uri.path().to_owned());
    let peer = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|info| info.0.ip());
    let response = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => {
            let body = match String::from_utf8(bytes.to_vec()) {
                _ if bytes.is_empty() => Body::Empty,
                Ok(text) => Body::Text(text),
                Err(binary) => Body::Binary(binary.into_bytes()),
            };
            let mut req = Request::from_parts(parts, body)
                .with_path_parameters(params)
                .with_query_string_parameters(parse_query(query.as_deref().unwrap_or("")));
            if let Some(peer) = peer {
                req = edge::address::from_source_ip(req, peer);
            }
            functions.invoke(function, req).await.expect("every route names a known function")
        }
        Err(_) => edge::http::error_response(domain::Error::BadRequest("Request body is too large".to_owned())),
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
