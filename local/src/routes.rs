//! The HTTP API as API Gateway routes it: each route of `template.yaml` to its function,
//! everything else to the `$default` route's.

use std::collections::HashMap;

use axum::extract::{Path, RawQuery, State};
use axum::routing::{MethodFilter, on};
use lambda_http::http::Method;
use lambda_http::{Body, Request, RequestExt};

use crate::functions::Functions;

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
        .route(DEAD_LETTERS, axum::routing::get(dead_letters))
        .route(REDRIVE, axum::routing::post(redrive))
        .fallback(fallback)
        .method_not_allowed_fallback(fallback)
        .with_state(functions)
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
    axum::serve(listener, router(functions)).await
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
