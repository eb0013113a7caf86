//! The HTTP API as API Gateway routes it: a request into the function's event, and its
//! response back.

use std::collections::HashMap;

use axum::extract::{RawQuery, State};
use lambda_http::{Body, Request, RequestExt};

use crate::functions::Functions;

/// API Gateway's payload limit.
const MAX_BODY: usize = 10 * 1024 * 1024;

/// The request as API Gateway hands it to the function, and its response back.
pub(super) async fn invoke(
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
    super::to_axum(response)
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
