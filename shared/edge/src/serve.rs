//! Running a handler on the Lambda runtime: configuration read once at cold start, one
//! tracing subscriber, and the one place a handler's error becomes a response (HTTP) or a
//! failed invocation (events).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;

use aws_lambda_events::event::sqs::SqsEvent;
use domain::Result;
use domain::config::{ConfigError, Env, FromEnv};
use lambda_http::{Request, service_fn};
use lambda_runtime::LambdaEvent;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::http::{Response, respond};

/// A cold start: structured logging (JSON on Lambda) begins, and the function's
/// configuration is read from the environment, once.
pub fn start<T: FromEnv>() -> Result<T, ConfigError> {
    init_logging();
    Env::process().load()
}

/// Logging as Lambda's advanced logging controls ask: the level `AWS_LAMBDA_LOG_LEVEL` (or
/// `RUST_LOG`, a bare level) names, INFO otherwise; JSON lines when `AWS_LAMBDA_LOG_FORMAT`
/// is `JSON`; no timestamp (CloudWatch stamps each line) and no target.
fn init_logging() {
    let var = |name: &str| std::env::var(name).ok();
    let level = var("AWS_LAMBDA_LOG_LEVEL").or_else(|| var("RUST_LOG"));
    let level = level.and_then(|level| level.parse().ok()).unwrap_or(tracing_subscriber::filter::LevelFilter::INFO);
    let logs = tracing_subscriber::fmt().with_target(false).without_time().with_max_level(level);
    let set = if var("AWS_LAMBDA_LOG_FORMAT").is_some_and(|format| format.eq_ignore_ascii_case("json")) {
        logs.json().try_init()
    } else {
        logs.try_init()
    };
    // Set once per process: a second start (tests) keeps the first.
    drop(set);
}

/// Serves an HTTP API route: every request gets a response, errors in the one shape.
pub async fn serve_http<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(Request) -> Fut,
    Fut: Future<Output = Result<Response>> + Send,
{
    lambda_http::run(service_fn(|req: Request| {
        // Every line logged for a request about an order names it.
        let span = tracing::info_span!("request", order_id = tracing::field::Empty);
        if let Some(order) = order_in_path(&req) {
            span.record("order_id", order);
        }
        // Boxed: the future's type would otherwise nest every layer down to the SDK's.
        let response: Pin<Box<dyn Future<Output = Result<Response>> + Send + '_>> = Box::pin(handler(req));
        async move { Ok::<_, Infallible>(respond(response.await)) }.instrument(span)
    }))
    .await
}

/// The order a request's path names: `/api/orders/{id}…`, `/api/expiration/{orderId}`.
fn order_in_path(req: &Request) -> Option<String> {
    let mut segments = req.uri().path().trim_start_matches('/').split('/');
    match (segments.next(), segments.next(), segments.next()) {
        (Some("api"), Some("orders" | "expiration"), Some(id)) if !id.is_empty() => Some(id.to_owned()),
        _ => None,
    }
}

/// Serves a consumer fed by an SQS queue (of events, or of notifications), reporting partial
/// batch failures.
pub async fn serve_sqs<T, F, Fut>(handler: F) -> Result<(), lambda_runtime::Error>
where
    T: crate::deliveries::Delivered,
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let handler = &handler;
        let batch: Pin<Box<dyn Future<Output = _> + '_>> =
            Box::pin(crate::deliveries::handle_batch(event.payload, handler));
        async move { Ok::<_, Infallible>(batch.await) }
    }))
    .await
}

/// Serves a function invoked with a `T` (a schedule's input, a stream batch): an error
/// fails the invocation, so that its source retries. Every line logged for an input that
/// names an order (a schedule's `orderId`) names it.
pub async fn serve<T, R, F, Fut>(handler: F) -> Result<(), lambda_runtime::Error>
where
    T: DeserializeOwned + Send,
    R: Serialize,
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<R>>,
{
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        let span = tracing::info_span!("invocation", order_id = tracing::field::Empty);
        if let Some(order) = event.payload.get("orderId").and_then(|id| id.as_str()) {
            span.record("order_id", order);
        }
        let input = serde_json::from_value::<T>(event.payload);
        let outcome: Pin<Box<dyn Future<Output = Result<R>> + '_>> = match input {
            Ok(input) => Box::pin(handler(input)),
            Err(error) => Box::pin(std::future::ready(Err(domain::Error::internal(error, "the invocation's input")))),
        };
        async move { outcome.await.map_err(lambda_runtime::Error::from) }.instrument(span)
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_about_an_order_names_it() {
        let order = |path: &str| {
            order_in_path(&lambda_http::http::Request::builder().uri(path).body(Default::default()).unwrap())
        };
        assert_eq!(order("/api/orders/01KORDER").as_deref(), Some("01KORDER"));
        assert_eq!(order("/api/orders/01KORDER/file").as_deref(), Some("01KORDER"));
        assert_eq!(order("/api/expiration/01KORDER").as_deref(), Some("01KORDER"));
        assert_eq!((order("/api/orders"), order("/api/tickets/01KTICKET")), (None, None));
    }
}
