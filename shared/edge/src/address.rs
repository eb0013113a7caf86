//! The client's address. Behind the CloudFront distribution, API Gateway's `sourceIp` is
//! CloudFront's: the viewer's is in `CloudFront-Viewer-Address` (which the distribution's
//! origin request policy adds), believed only on requests that carry the distribution's
//! secret origin header, since anyone may call the API's own URL with any header. A request
//! without it is a direct call: its `sourceIp` is the client's. `X-Forwarded-For`, which a
//! client writes, is never read.

use aws_lc_rs::constant_time::verify_slices_are_equal;
use domain::config::{ConfigError, Env, FromEnv, Secret};
use domain::users::ClientAddress;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

/// The header the distribution adds to every request it forwards to the API, with the secret.
pub const ORIGIN_VERIFY_HEADER: &str = "x-origin-verify";
/// The viewer's address and port, as CloudFront adds it.
pub const VIEWER_ADDRESS_HEADER: &str = "cloudfront-viewer-address";

/// `ORIGIN_VERIFY_SECRET`: the value of the distribution's secret origin header. The local
/// runner has none unless set: it believes no viewer header then.
#[derive(Debug, Clone)]
pub struct OriginSecret(Option<Secret>);

impl OriginSecret {
    pub fn new(secret: Option<Secret>) -> Self {
        Self(secret)
    }
}

impl FromEnv for OriginSecret {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        env.secret("ORIGIN_VERIFY_SECRET").map(|secret| Self(Some(Secret::new(secret))))
    }
}

/// What signing in and up needs of the edge: where a request comes from, and the limits.
#[derive(Clone, Copy)]
pub struct Throttling<'a> {
    pub limits: &'a domain::users::Throttles,
    pub origin: &'a OriginSecret,
}

impl Throttling<'_> {
    pub fn client_address(&self, req: &Request) -> ClientAddress {
        client_address(req, self.origin)
    }
}

/// The address `req` came from (see the module's documentation).
pub fn client_address(req: &Request, origin: &OriginSecret) -> ClientAddress {
    let header = |name| req.headers().get(name).and_then(|value| value.to_str().ok());
    let through_distribution = match (&origin.0, header(ORIGIN_VERIFY_HEADER)) {
        (Some(secret), Some(given)) => verify_slices_are_equal(secret.expose().as_bytes(), given.as_bytes()).is_ok(),
        _ => false,
    };
    if through_distribution {
        // `198.51.100.10:46532`, or `2001:db8::1:46532` (the port after the last colon).
        let viewer = header(VIEWER_ADDRESS_HEADER).and_then(|value| value.rsplit_once(':')).map(|(ip, _)| ip);
        if let Some(address) = viewer.and_then(|ip| ClientAddress::parse(ip.trim_matches(['[', ']']))) {
            return address;
        }
    }
    let source_ip = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.http.source_ip.as_deref(),
        _ => None,
    };
    source_ip.and_then(ClientAddress::parse).unwrap_or_else(ClientAddress::unknown)
}

/// `req` as API Gateway hands it over from a client at `ip` (the local runner's emulation).
pub fn from_source_ip(req: Request, ip: std::net::IpAddr) -> Request {
    let mut context = lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext::default();
    context.http.source_ip = Some(ip.to_string());
    req.with_request_context(RequestContext::ApiGatewayV2(context))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)], source_ip: Option<&str>) -> Request {
        let mut builder = lambda_http::http::Request::builder();
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let req: Request = builder.body(Default::default()).unwrap();
        match source_ip {
            Some(ip) => from_source_ip(req, ip.parse().unwrap()),
            None => req,
        }
    }

    fn secret() -> OriginSecret {
        OriginSecret::new(Some(Secret::new("s3cr3t-origin")))
    }

    #[test]
    fn through_the_distribution_the_viewer_address_is_the_clients() {
        let cloudfront = Some("130.176.0.1");
        for (viewer, expected) in [("198.51.100.10:46532", "198.51.100.10"), ("2001:db8::1:443", "2001:db8::1")] {
            let req = request(&[(ORIGIN_VERIFY_HEADER, "s3cr3t-origin"), (VIEWER_ADDRESS_HEADER, viewer)], cloudfront);
            assert_eq!(client_address(&req, &secret()).as_str(), expected);
        }
    }

    #[test]
    fn without_the_secret_a_viewer_header_and_x_forwarded_for_are_ignored() {
        let forged = [(VIEWER_ADDRESS_HEADER, "198.51.100.10:1"), ("x-forwarded-for", "192.0.2.1")];
        let direct = request(&forged, Some("203.0.113.7"));
        assert_eq!(client_address(&direct, &secret()).as_str(), "203.0.113.7");
        let wrong = request(&[(ORIGIN_VERIFY_HEADER, "guess"), forged[0]], Some("203.0.113.7"));
        assert_eq!(client_address(&wrong, &secret()).as_str(), "203.0.113.7");
        let local = request(&[(ORIGIN_VERIFY_HEADER, ""), forged[0]], Some("127.0.0.1"));
        assert_eq!(client_address(&local, &OriginSecret::new(None)).as_str(), "127.0.0.1", "no secret: none believed");
        assert_eq!(client_address(&request(&[], None), &secret()), ClientAddress::unknown());
    }
}
