//! Sessions: HS256 JWTs carried in the `session` cookie or an `Authorization: Bearer`
//! header, and the one extractor every protected route uses.

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::config::{ConfigError, Env, FromEnv, Secret};
use domain::entities::{Email, User};
use domain::ids::UserId;
use domain::{Error, Result};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use lambda_http::Request;
use lambda_http::http::header::{AUTHORIZATION, COOKIE};
use serde::{Deserialize, Serialize};

use crate::http::{self, Response};

pub const SESSION_COOKIE: &str = "session";

/// The signed-in user, as the session token states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    pub email: String,
    pub iat: i64,
    pub exp: i64,
}

impl Claims {
    pub fn user_id(&self) -> UserId {
        UserId::from(self.sub.clone())
    }
}

/// What a client is told about a user.
#[derive(Serialize)]
struct PublicUser<'a> {
    id: &'a str,
    email: &'a str,
}

/// Issues and verifies sessions. Read from `JWT_SECRET` (at least 32 bytes) and
/// `SESSION_TTL_SECONDS` (3600 by default).
#[derive(Clone)]
pub struct Sessions {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_secs: i64,
}

impl FromEnv for Sessions {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let secret = Secret::new(env.required("JWT_SECRET")?);
        Self::new(&secret, env.seconds("SESSION_TTL_SECONDS", 3600)?)
    }
}

impl Sessions {
    pub const MIN_SECRET_LEN: usize = 32;

    pub fn new(secret: &Secret, ttl: Duration) -> Result<Self, ConfigError> {
        if secret.expose().len() < Self::MIN_SECRET_LEN {
            return Err(ConfigError::Invalid {
                name: "JWT_SECRET",
                reason: format!("must be at least {} bytes", Self::MIN_SECRET_LEN),
            });
        }
        let key = secret.expose().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Ok(Self {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
            validation,
            ttl_secs: i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX),
        })
    }

    /// A signed session token for `user`, valid from `now` for the configured lifetime.
    pub fn issue(&self, id: &UserId, email: &Email, now: DateTime<Utc>) -> Result<String> {
        let iat = now.timestamp();
        let claims = Claims {
            sub: id.to_string(),
            email: email.as_str().to_owned(),
            iat,
            exp: iat.saturating_add(self.ttl_secs),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| Error::internal(e, "signing a session token"))
    }

    /// The claims of a token this service signed and that has not expired.
    /// Tampered, expired, `alg: none` and foreign tokens give `None`.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok().map(|data| data.claims)
    }

    /// `Set-Cookie` value carrying `token`.
    pub fn cookie(&self, token: &str) -> String {
        format!("{SESSION_COOKIE}={token}; Max-Age={}; Path=/; HttpOnly; Secure; SameSite=Lax", self.ttl_secs)
    }

    /// `Set-Cookie` value that removes the session cookie.
    pub fn cleared_cookie() -> String {
        format!("{SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax")
    }

    /// The response that starts a session for `user`: `{id, email}` and the session cookie.
    pub fn start(&self, status: u16, user: &User, now: DateTime<Utc>) -> Result<Response> {
        let token = self.issue(&user.id, &user.email, now)?;
        let body = PublicUser { id: user.id.as_str(), email: user.email.as_str() };
        http::with_cookie(http::json(status, &body)?, &self.cookie(&token))
    }

    /// The signed-in user of `req`, if any. A Bearer header, when present, is the one looked at.
    pub fn current_user(&self, req: &Request) -> Option<Claims> {
        let token = bearer_token(req).or_else(|| session_cookie(req))?;
        self.verify(token)
    }

    /// The signed-in user, or 401 `Not authorized`.
    pub fn require_user(&self, req: &Request) -> Result<UserId> {
        self.current_user(req).map(|claims| claims.user_id()).ok_or(Error::Unauthorized("Not authorized"))
    }
}

fn bearer_token(req: &Request) -> Option<&str> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn session_cookie(req: &Request) -> Option<&str> {
    req.headers()
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn sessions(secret: &str) -> Sessions {
        Sessions::new(&Secret::new(secret), Duration::from_secs(3600)).unwrap()
    }

    fn issue(sessions: &Sessions, now: DateTime<Utc>) -> String {
        sessions.issue(&UserId::from("01JADA"), &Email::parse("ada@example.com").unwrap(), now).unwrap()
    }

    fn request(header: (&str, &str)) -> Request {
        lambda_http::http::Request::builder().header(header.0, header.1).body(Default::default()).unwrap()
    }

    #[test]
    fn a_short_secret_is_refused_by_name() {
        let error = Sessions::new(&Secret::new("short"), Duration::from_secs(60)).err().unwrap();
        assert!(error.to_string().contains("JWT_SECRET"), "{error}");
    }

    #[test]
    fn a_fresh_token_verifies_with_its_claims() {
        let sessions = sessions(SECRET);
        let claims = sessions.verify(&issue(&sessions, Utc::now())).unwrap();
        assert_eq!((claims.sub.as_str(), claims.email.as_str()), ("01JADA", "ada@example.com"));
        assert_eq!(claims.exp - claims.iat, 3600);
    }

    #[test]
    fn expired_tampered_and_foreign_tokens_are_rejected() {
        let ours = sessions(SECRET);
        let expired = issue(&ours, Utc::now() - chrono::Duration::seconds(3601));
        assert_eq!(ours.verify(&expired), None, "expired");

        let token = issue(&ours, Utc::now());
        let (head, payload, signature) = split3(&token);
        assert_eq!(ours.verify(&format!("{head}.{payload}.{}", flip_first(signature))), None, "tampered signature");
        assert_eq!(ours.verify(&format!("{head}.{}.{signature}", flip_first(payload))), None, "tampered payload");

        let foreign = issue(&sessions("another-secret-another-secret-xx"), Utc::now());
        assert_eq!(ours.verify(&foreign), None, "wrong secret");
    }

    fn split3(token: &str) -> (&str, &str, &str) {
        let mut parts = token.splitn(3, '.');
        (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap())
    }

    fn flip_first(part: &str) -> String {
        let replacement = if part.starts_with('A') { "B" } else { "A" };
        format!("{replacement}{}", &part[1..])
    }

    #[test]
    fn the_token_comes_from_a_bearer_header_or_the_session_cookie() {
        let sessions = sessions(SECRET);
        let token = issue(&sessions, Utc::now());
        let bearer = request(("authorization", &format!("Bearer {token}")));
        let cookie = request(("cookie", &format!("theme=dark; session={token}; lang=en")));
        assert_eq!(sessions.current_user(&bearer).unwrap().sub, "01JADA");
        assert_eq!(sessions.current_user(&cookie).unwrap().sub, "01JADA");
        assert!(matches!(sessions.require_user(&request(("cookie", "session="))), Err(Error::Unauthorized(_))));
    }
}
