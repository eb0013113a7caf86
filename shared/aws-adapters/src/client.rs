//! The AWS configuration of a function and the clients built from it.

use std::sync::Arc;

use crate::s3::S3;

/// The AWS configuration of a function (region, credentials, endpoints), loaded once per
/// cold start and shared by every client the function builds.
#[derive(Clone)]
pub struct Aws {
    config: aws_config::SdkConfig,
    /// `AWS_ENDPOINT_URL_<SERVICE>`: another endpoint for one service.
    endpoints: Endpoints,
    /// The certificates the HTTPS clients trust, PEM: Amazon's roots, and `AWS_CA_BUNDLE`'s.
    roots: Arc<Vec<u8>>,
}

#[derive(Clone, Default)]
struct Endpoints {
    dynamodb: Option<String>,
    eventbridge: Option<String>,
    s3: Option<String>,
    scheduler: Option<String>,
    sesv2: Option<String>,
    sqs: Option<String>,
}

/// An environment variable's value, unless it is unset or empty.
fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

impl Endpoints {
    fn from_env() -> Self {
        Endpoints {
            dynamodb: var("AWS_ENDPOINT_URL_DYNAMODB"),
            eventbridge: var("AWS_ENDPOINT_URL_EVENTBRIDGE"),
            s3: var("AWS_ENDPOINT_URL_S3"),
            scheduler: var("AWS_ENDPOINT_URL_SCHEDULER"),
            sesv2: var("AWS_ENDPOINT_URL_SESV2"),
            sqs: var("AWS_ENDPOINT_URL_SQS"),
        }
    }
}

/// The roots AWS's service endpoints chain to (Amazon Trust Services): Amazon Root CA 1 to 4
/// and Starfield Services Root Certificate Authority G2. Trusting these alone spares every
/// cold start the reading of the system's whole certificate directory.
const AMAZON_ROOTS: &str = include_str!("amazon-roots.pem");

impl Aws {
    /// A function's: from the environment Lambda gives it (as `sam local` and the tests do):
    /// `AWS_REGION`, the credentials, and `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>`
    /// for another endpoint. The configuration is built directly, over an HTTP client that
    /// trusts Amazon's roots (and the PEM file `AWS_CA_BUNDLE` names, for an endpoint of
    /// one's own); the SDK's search of profiles, SSO and instance metadata is not linked into
    /// the functions (about 200 KB each). Without credentials in the environment, every call
    /// fails (an operator's tool loads with [`Aws::load_for_operator`]).
    pub async fn load() -> Self {
        let region = var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION"));
        let roots = roots(var("AWS_CA_BUNDLE"));
        let mut config = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(region.map(aws_config::Region::new))
            .http_client(http_client(&roots))
            .retry_config(aws_config::retry::RetryConfig::standard());
        if let (Some(key), Some(secret)) = (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
            let credentials =
                aws_sdk_dynamodb::config::Credentials::new(key, secret, var("AWS_SESSION_TOKEN"), None, "environment");
            config
                .set_credentials_provider(Some(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(credentials)));
        }
        config.set_endpoint_url(var("AWS_ENDPOINT_URL"));
        Self { config: config.build(), endpoints: Endpoints::from_env(), roots }
    }

    /// An operator's tool's, on a workstation: the SDK's default chains (environment,
    /// profiles, SSO, instance metadata) and the same endpoint variables.
    pub async fn load_for_operator() -> Self {
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Self { config, endpoints: Endpoints::from_env(), roots: roots(var("AWS_CA_BUNDLE")) }
    }

    pub fn from_config(config: aws_config::SdkConfig) -> Self {
        Self { config, endpoints: Endpoints::default(), roots: roots(None) }
    }

    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        let mut config = aws_sdk_dynamodb::config::Builder::from(&self.config);
        if let Some(url) = &self.endpoints.dynamodb {
            config.set_endpoint_url(Some(url.clone()));
        }
        aws_sdk_dynamodb::Client::from_conf(config.build())
    }

    pub fn eventbridge(&self) -> aws_sdk_eventbridge::Client {
        let mut config = aws_sdk_eventbridge::config::Builder::from(&self.config);
        if let Some(url) = &self.endpoints.eventbridge {
            config.set_endpoint_url(Some(url.clone()));
        }
        aws_sdk_eventbridge::Client::from_conf(config.build())
    }

    /// S3; at an endpoint of one's own (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`), with the
    /// bucket in the path rather than the host name.
    pub fn s3(&self) -> S3 {
        let endpoint = self.endpoints.s3.clone().or_else(|| self.config.endpoint_url().map(str::to_owned));
        let region = self.config.region().map(|region| region.to_string());
        S3::new(self.config.credentials_provider(), region, endpoint, Arc::clone(&self.roots))
    }

    pub fn scheduler(&self) -> aws_sdk_scheduler::Client {
        let mut config = aws_sdk_scheduler::config::Builder::from(&self.config);
        if let Some(url) = &self.endpoints.scheduler {
            config.set_endpoint_url(Some(url.clone()));
        }
        aws_sdk_scheduler::Client::from_conf(config.build())
    }

    pub fn sesv2(&self) -> aws_sdk_sesv2::Client {
        let mut config = aws_sdk_sesv2::config::Builder::from(&self.config);
        if let Some(url) = &self.endpoints.sesv2 {
            config.set_endpoint_url(Some(url.clone()));
        }
        aws_sdk_sesv2::Client::from_conf(config.build())
    }

    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        let mut config = aws_sdk_sqs::config::Builder::from(&self.config);
        if let Some(url) = &self.endpoints.sqs {
            config.set_endpoint_url(Some(url.clone()));
        }
        aws_sdk_sqs::Client::from_conf(config.build())
    }
}

/// Amazon's roots and the certificates of `ca_bundle`, a PEM file.
fn roots(ca_bundle: Option<String>) -> Arc<Vec<u8>> {
    let mut roots = AMAZON_ROOTS.as_bytes().to_vec();
    if let Some(path) = ca_bundle {
        let pem = std::fs::read(&path).unwrap_or_else(|e| panic!("AWS_CA_BUNDLE {path}: {e}"));
        assert!(
            pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----"),
            "AWS_CA_BUNDLE {path}: no PEM certificate"
        );
        roots.push(b'\n');
        roots.extend(pem);
    }
    Arc::new(roots)
}

/// The SDK's HTTPS client (rustls on aws-lc, as the SDK's default), trusting `roots`.
fn http_client(roots: &[u8]) -> aws_sdk_dynamodb::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
    let roots = TrustStore::empty().with_pem_certificate(roots);
    let context = TlsContext::builder().with_trust_store(roots).build().expect("a TLS context without server names");
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_https()
}
