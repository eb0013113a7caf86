//! The HTTP client under async-stripe's request builders: it sends what they build (with the
//! key, the API version, the idempotency key and the connected account as Stripe's headers),
//! follows the request's retry strategy, and reads an error answer into the four fields this
//! service acts on. async-stripe's own client reads every error into types that embed whole
//! PaymentIntents, PaymentMethods, SetupIntents and Sources: their decoders made each Stripe
//! function about 4.5 MB larger.

use std::fmt;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, USER_AGENT};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use stripe_client_core::{
    CustomizedStripeRequest, Outcome, RequestStrategy, StripeClient, StripeClientErr, StripeMethod, VERSION,
};

/// Stripe's API (or a Stripe-compatible server's) with one secret key.
#[derive(Clone)]
pub struct StripeHttp {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    /// Ends with `/`: `https://api.stripe.com/`.
    base: String,
    authorization: HeaderValue,
}

/// Why a request to Stripe failed.
#[derive(Debug)]
pub enum StripeFailure {
    /// Stripe answered with an error: its HTTP status and what it said.
    Api(ApiError),
    /// No answer (connection, TLS), or one that does not read.
    Transport(String),
}

/// Stripe's error answer: its HTTP status and the fields of its error object this service
/// acts on.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: u16,
    /// `card_error`, `invalid_request_error`, …
    pub kind: String,
    pub code: Option<String>,
    pub message: Option<String>,
}

#[derive(miniserde::Deserialize)]
struct ErrorFields {
    #[serde(rename = "type")]
    kind: String,
    code: Option<String>,
    message: Option<String>,
}

#[derive(miniserde::Deserialize)]
struct ErrorBody {
    error: ErrorFields,
}

impl ApiError {
    pub fn is(&self, status: u16, kind: &str) -> bool {
        self.status == status && self.kind == kind
    }

    pub fn has_code(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }
}

impl fmt::Display for StripeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StripeFailure::Api(error) => write!(
                f,
                "Stripe answered {} ({}{}): {}",
                error.status,
                error.kind,
                error.code.as_deref().map(|code| format!(", {code}")).unwrap_or_default(),
                error.message.as_deref().unwrap_or("no message")
            ),
            StripeFailure::Transport(reason) => write!(f, "no answer from Stripe: {reason}"),
        }
    }
}

impl std::error::Error for StripeFailure {}

impl StripeClientErr for StripeFailure {
    fn deserialize_err(msg: impl fmt::Display) -> Self {
        StripeFailure::Transport(format!("an answer that does not read: {msg}"))
    }
}

impl StripeHttp {
    /// A client of `base` (`https://api.stripe.com`, with or without its final `/`) with
    /// `secret_key`, trusting the web's public roots.
    pub fn new(secret_key: &str, base: &str) -> anyhow::Result<Self> {
        let uri: hyper::Uri = base.parse().map_err(|e| anyhow::anyhow!("the Stripe API base {base:?}: {e}"))?;
        let mut base = uri.to_string();
        if !base.ends_with('/') {
            base.push('/');
        }
        let mut authorization = HeaderValue::try_from(format!("Bearer {secret_key}"))
            .map_err(|_| anyhow::anyhow!("the Stripe key is not a header value"))?;
        authorization.set_sensitive(true);
        let connector =
            hyper_rustls::HttpsConnectorBuilder::new().with_webpki_roots().https_or_http().enable_http1().build();
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Self { client, base, authorization })
    }

    fn request(
        &self,
        request: &stripe_client_core::RequestBuilder,
        account: Option<&str>,
    ) -> Result<hyper::Request<Full<Bytes>>, StripeFailure> {
        let mut uri = format!("{}v1{}", self.base, request.path);
        if let Some(query) = &request.query {
            uri.push('?');
            uri.push_str(query);
        }
        let method = match request.method {
            StripeMethod::Get => hyper::Method::GET,
            StripeMethod::Post => hyper::Method::POST,
            StripeMethod::Delete => hyper::Method::DELETE,
        };
        let mut builder = hyper::Request::builder()
            .method(method)
            .uri(uri)
            .header(AUTHORIZATION, self.authorization.clone())
            .header(USER_AGENT, "Stripe/v1 ticketing")
            .header("stripe-version", VERSION.as_str());
        if let Some(account) = account {
            builder = builder.header("stripe-account", account);
        }
        let body = match &request.body {
            Some(form) => {
                builder = builder.header(CONTENT_TYPE, "application/x-www-form-urlencoded");
                Bytes::from(form.clone())
            }
            None => Bytes::new(),
        };
        builder.body(Full::new(body)).map_err(|e| StripeFailure::Transport(format!("building the request: {e}")))
    }

    /// One attempt: the answer's status, Stripe's advice on trying again, and its body.
    async fn attempt(&self, request: hyper::Request<Full<Bytes>>) -> Result<(u16, Option<bool>, Bytes), StripeFailure> {
        let transport = |e: &dyn fmt::Display| StripeFailure::Transport(e.to_string());
        let response = self.client.request(request).await.map_err(|e| transport(&e))?;
        let status = response.status().as_u16();
        let retry = response.headers().get("stripe-should-retry").and_then(|v| v.to_str().ok()?.parse().ok());
        let body = response.into_body().collect().await.map_err(|e| transport(&e))?.to_bytes();
        Ok((status, retry, body))
    }
}

impl StripeClient for StripeHttp {
    type Err = StripeFailure;

    async fn execute(&self, customized: CustomizedStripeRequest) -> Result<Bytes, StripeFailure> {
        let (request, config) = customized.into_pieces();
        let mut request = self.request(&request, config.account_id.as_ref().map(|account| account.as_str()))?;
        let strategy = config.request_strategy.unwrap_or(RequestStrategy::Once);
        if let Some(key) = strategy.get_key() {
            let key = HeaderValue::try_from(key.as_str())
                .map_err(|_| StripeFailure::Transport("an idempotency key that is not a header value".to_owned()))?;
            request.headers_mut().insert("idempotency-key", key);
        }
        let (mut tries, mut last_status, mut last_retry) = (0, None, None);
        let mut last_error = StripeFailure::Transport("not sent".to_owned());
        loop {
            match strategy.test(last_status, last_retry, tries) {
                Outcome::Stop => return Err(last_error),
                Outcome::Continue(backoff) => {
                    if let Some(backoff) = backoff {
                        tokio::time::sleep(backoff).await;
                    }
                }
            }
            tries += 1;
            let attempt = self.attempt(request.clone());
            let answer = match config.timeout {
                Some(limit) => tokio::time::timeout(limit, attempt)
                    .await
                    .unwrap_or_else(|_| Err(StripeFailure::Transport(format!("no answer within {limit:?}")))),
                None => attempt.await,
            };
            let (status, retry, body) = match answer {
                Ok(answer) => answer,
                Err(error) => {
                    last_error = error;
                    continue;
                }
            };
            if (200..300).contains(&status) {
                return Ok(body);
            }
            let text = std::str::from_utf8(&body).unwrap_or_default();
            last_error = match miniserde::json::from_str::<ErrorBody>(text) {
                Ok(ErrorBody { error }) => {
                    StripeFailure::Api(ApiError { status, kind: error.kind, code: error.code, message: error.message })
                }
                Err(_) => StripeFailure::Transport(format!("an error answer ({status}) that does not read")),
            };
            (last_status, last_retry) = (Some(status), retry);
        }
    }
}

#[cfg(test)]
mod tests {
    use stripe_client_core::RequestBuilder;

    use super::*;

    #[derive(serde::Serialize)]
    struct Form {
        limit: u8,
    }

    #[test]
    fn a_request_goes_to_the_bases_v1_with_the_key_the_version_and_the_account() {
        for base in ["http://127.0.0.1:8420", "http://127.0.0.1:8420/"] {
            let http = StripeHttp::new("sk_test_123", base).unwrap();
            let built = RequestBuilder::new(StripeMethod::Get, "/refunds").query(&Form { limit: 1 });
            let request = http.request(&built, Some("acct_1")).unwrap();
            assert_eq!(request.uri(), "http://127.0.0.1:8420/v1/refunds?limit=1");
            assert_eq!(request.headers()[AUTHORIZATION], "Bearer sk_test_123");
            assert_eq!(request.headers()["stripe-version"], VERSION.as_str());
            assert_eq!(request.headers()["stripe-account"], "acct_1");
            assert!(request.headers().get(CONTENT_TYPE).is_none(), "no body, no form");
        }
        let http = StripeHttp::new("sk_test_123", "https://api.stripe.com").unwrap();
        let form = RequestBuilder::new(StripeMethod::Post, "/refunds").form(&Form { limit: 1 });
        let request = http.request(&form, None).unwrap();
        assert_eq!(
            (request.method(), request.uri().to_string()),
            (&hyper::Method::POST, "https://api.stripe.com/v1/refunds".to_owned())
        );
        assert_eq!(request.headers()[CONTENT_TYPE], "application/x-www-form-urlencoded");
        assert!(request.headers().get("stripe-account").is_none());
        assert!(StripeHttp::new("sk_test_123", "not a url").is_err());
    }
}
