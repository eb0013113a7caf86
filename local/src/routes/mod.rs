//! The local runner's HTTP server: the API's routes as API Gateway routes them (each route of
//! `template.yaml` to its function, everything else to the `$default` route's), and what AWS
//! and the payment provider serve around it.

mod admin;
mod api_gateway;
mod files;
mod reference;
mod test_gateway;
mod web;

use std::collections::HashMap;

use axum::extract::{Path, RawQuery, State};
use axum::routing::{MethodFilter, on};
use lambda_http::http::Method;

pub use admin::{DEAD_LETTERS, MAIL, MAILBOX, REDRIVE};
pub use edge::routes::{FALLBACK, ROUTES, Route};
pub use reference::{DOCS, OPENAPI};
pub use test_gateway::{AUTHENTICATE, ONBOARDING, TEST_ACCOUNT};
pub use web::WEB_FILES;

use crate::functions::Functions;
use api_gateway::invoke;

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
        .route("/", axum::routing::get(|| async { web::web("index.html") }))
        .route("/{asset}", axum::routing::get(|Path(name): Path<String>| async move { web::web(&name) }))
        .route(AUTHENTICATE, axum::routing::post(test_gateway::authenticate))
        .route(ONBOARDING, axum::routing::get(test_gateway::onboarding_page).post(test_gateway::complete_onboarding))
        .route(TEST_ACCOUNT, axum::routing::get(test_gateway::test_account))
        .route(OPENAPI, axum::routing::get(reference::openapi))
        .route(DOCS, axum::routing::get(|| async { reference::asset("index.html") }))
        .route(
            "/api/docs/{asset}",
            axum::routing::get(|Path(name): Path<String>| async move { reference::asset(&name) }),
        )
        .route(
            &format!("{}/{{*key}}", embedded::FILES_PATH),
            axum::routing::put(files::upload_file)
                .get(files::download_file)
                .layer(axum::extract::DefaultBodyLimit::max(files::FILE_BODY_LIMIT)),
        )
        .route(DEAD_LETTERS, axum::routing::get(admin::dead_letters))
        .route(REDRIVE, axum::routing::post(admin::redrive))
        .route(MAIL, axum::routing::get(admin::mail))
        .route(MAILBOX, axum::routing::get(admin::mailbox))
        .fallback(fallback)
        .method_not_allowed_fallback(fallback)
        .with_state(functions)
}

/// Serves the API on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, functions: Functions) -> std::io::Result<()> {
    // Each request knows its peer: API Gateway's `sourceIp`.
    axum::serve(listener, router(functions).into_make_service_with_connect_info::<std::net::SocketAddr>()).await
}

/// A function's response (or the runner's own, in the edge's one shape) as axum sends it.
fn to_axum(response: lambda_http::Response<lambda_http::Body>) -> axum::response::Response {
    let (parts, body) = response.into_parts();
    axum::response::Response::from_parts(parts, axum::body::Body::from(body.as_ref().to_vec()))
}

/// An error in the edge's one shape.
fn error(error: domain::Error) -> axum::response::Response {
    to_axum(edge::http::respond(Err(error)))
}

/// A 200 JSON answer of the runner's own routes, or the error in the edge's one shape.
fn json_response(outcome: domain::Result<serde_json::Value>) -> axum::response::Response {
    to_axum(edge::http::respond(outcome.and_then(|body| edge::http::json(200, &body))))
}

fn static_response(content_type: &str, bytes: &[u8]) -> axum::response::Response {
    axum::response::Response::builder()
        .header("content-type", content_type)
        .header("x-content-type-options", "nosniff")
        .header("cache-control", "no-cache")
        .body(axum::body::Body::from(bytes.to_vec()))
        .expect("a static response")
}
