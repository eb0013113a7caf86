//! Sessions: EdDSA (Ed25519) JWTs carried in the `session` cookie or an `Authorization:
//! Bearer` header. Only the functions that sign users in hold the private key
//! ([`SessionIssuer`]); every other function verifies with public keys only
//! ([`SessionVerifier`]), the current one and the previous one, told apart by the token's
//! key id, so that a key rotation signs nobody out. A session names the generation of its
//! account it was issued at: the routes that move money or credentials check it against the
//! account ([`SessionVerifier::require_live_session`]), so that signing out everywhere ends
//! them at once; the others trust a signed session until it expires.

use std::time::Duration;

use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use domain::config::{ConfigError, Env, FromEnv};
use domain::entities::{Email, User};
use domain::ids::UserId;
use domain::ports::UserStore;
use domain::users::{self, Session};
use domain::{Error, Result};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use lambda_http::Request;
use lambda_http::http::header::{AUTHORIZATION, COOKIE};
use serde::{Deserialize, Serialize};

use crate::http::{self, Response};

pub const SESSION_COOKIE: &str = "session";

/// The key pair the local runner signs with when none is configured: committed, so refused
/// by every deployed function (`domain::config::COMMITTED_SECRETS`).
pub const DEVELOPMENT_KEY_ID: &str = "development";
pub const DEVELOPMENT_SIGNING_KEY: &str = "MC4CAQAwBQYDK2VwBCIEID2xIYDnbxfjEHcl4p74ReeAi00OaAQrCeJI5hckPih6";
pub const DEVELOPMENT_PUBLIC_KEY: &str = "dq716gH9qn35VolKDvM6cU0BwccjdD6Hsxn74cUwyGQ";

/// The signed-in user, as the session token states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    pub email: String,
    pub iat: i64,
    pub exp: i64,
    /// The account's session generation at issue (absent in sessions issued before it
    /// existed: 0).
    #[serde(default, rename = "gen")]
    pub generation: u32,
}

impl Claims {
    pub fn user_id(&self) -> UserId {
        UserId::from(self.sub.clone())
    }

    /// The session these claims state, if they name an email.
    pub fn session(&self) -> Option<Session> {
        let email = Email::parse(&self.email).ok()?;
        Some(Session { user: self.user_id(), email, generation: self.generation })
    }
}

/// What a client is told about a user: `{id, email}`.
#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicUser<'a> {
    pub id: &'a str,
    pub email: &'a str,
}

/// `GET /api/users/currentuser`: the signed-in user, `null` without a valid session.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CurrentUserBody {
    pub current_user: Option<SessionUser>,
}

/// The user a session names: `{id, email, iat, exp}` (Unix times), and what the account
/// says of its address.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionUser {
    pub id: String,
    pub email: String,
    pub iat: i64,
    pub exp: i64,
    /// Whether the owner proved the address theirs (by a verification mail's link):
    /// connecting a payout account asks for it.
    pub email_verified: bool,
    /// Whether the address is no longer mailed: mail to it bounced for good, or its owner
    /// reported a mail as unwanted.
    pub mail_suppressed: bool,
}

impl SessionUser {
    /// What `claims` state, and what `account` (the account they name, if found) says.
    pub fn new(claims: Claims, account: Option<&User>) -> Self {
        Self {
            email_verified: account.is_some_and(User::email_verified),
            mail_suppressed: account.is_some_and(|account| account.mail_suppressed.is_some()),
            id: claims.sub,
            email: claims.email,
            iat: claims.iat,
            exp: claims.exp,
        }
    }
}

fn invalid(name: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { name, reason: reason.into() }
}

/// Signs sessions: the private key (`SESSION_SIGNING_KEY`, base64 PKCS#8), its key id
/// (`SESSION_KEY_ID`) and the sessions' lifetime (`SESSION_TTL_SECONDS`, 3600).
#[derive(Clone)]
pub struct SessionIssuer {
    encoding: EncodingKey,
    key_id: String,
    public_key: String,
    ttl_secs: i64,
}

impl FromEnv for SessionIssuer {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let issuer = Self::new(
            &env.required("SESSION_KEY_ID")?,
            &env.required("SESSION_SIGNING_KEY")?,
            env.seconds("SESSION_TTL_SECONDS", 3600)?,
        )?;
        // Told by its public key, however the private key is written.
        env.refuse_committed("SESSION_SIGNING_KEY", &issuer.public_key)?;
        Ok(issuer)
    }
}

impl SessionIssuer {
    pub fn new(key_id: &str, signing_key: &str, ttl: Duration) -> Result<Self, ConfigError> {
        let der = STANDARD
            .decode(signing_key.trim())
            .map_err(|_| invalid("SESSION_SIGNING_KEY", "not base64 (of an Ed25519 PKCS#8 key)"))?;
        let pair = Ed25519KeyPair::from_pkcs8(&der)
            .map_err(|_| invalid("SESSION_SIGNING_KEY", "not an Ed25519 PKCS#8 private key"))?;
        Ok(Self {
            encoding: EncodingKey::from_ed_der(&der),
            key_id: key_id.to_owned(),
            public_key: URL_SAFE_NO_PAD.encode(pair.public_key().as_ref()),
            ttl_secs: i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX),
        })
    }

    /// The local runner's: the development key pair.
    pub fn development(ttl: Duration) -> Self {
        Self::new(DEVELOPMENT_KEY_ID, DEVELOPMENT_SIGNING_KEY, ttl).expect("the development key is a key")
    }

    /// `kid=public key`, as [`SessionVerifier`] reads it.
    pub fn public_key(&self) -> String {
        format!("{}={}", self.key_id, self.public_key)
    }

    /// A signed token for `session`, valid from `now` for the configured lifetime.
    pub fn issue(&self, session: &Session, now: DateTime<Utc>) -> Result<String> {
        let iat = now.timestamp();
        let claims = Claims {
            sub: session.user.to_string(),
            email: session.email.as_str().to_owned(),
            iat,
            exp: iat.saturating_add(self.ttl_secs),
            generation: session.generation,
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.key_id.clone());
        jsonwebtoken::encode(&header, &claims, &self.encoding)
            .map_err(|e| Error::internal(e, "signing a session token"))
    }

    /// `Set-Cookie` value carrying `token`.
    pub fn cookie(&self, token: &str) -> String {
        format!("{SESSION_COOKIE}={token}; Max-Age={}; Path=/; HttpOnly; Secure; SameSite=Lax", self.ttl_secs)
    }

    /// The response that starts a session for `user`: `{id, email}` and the session cookie.
    pub fn start(&self, status: u16, user: &User, now: DateTime<Utc>) -> Result<Response> {
        let token = self.issue(&Session::of(user), now)?;
        let body = PublicUser { id: user.id.as_str(), email: user.email.as_str() };
        http::with_cookie(http::json(status, &body)?, &self.cookie(&token))
    }
}

/// `Set-Cookie` value that removes the session cookie.
pub fn cleared_cookie() -> String {
    format!("{SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax")
}

/// Verifies sessions with public keys only: `SESSION_PUBLIC_KEYS`, `kid=key` pairs (base64url
/// Ed25519 public keys) separated by commas, the current one first.
#[derive(Clone)]
pub struct SessionVerifier {
    keys: Vec<(String, DecodingKey)>,
    validation: Validation,
}

impl FromEnv for SessionVerifier {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let keys = env.required("SESSION_PUBLIC_KEYS")?;
        let verifier = Self::new(&keys)?;
        for key in keys.split(',').filter_map(|pair| pair.split_once('=')).map(|(_, key)| key) {
            env.refuse_committed("SESSION_PUBLIC_KEYS", key)?;
        }
        Ok(verifier)
    }
}

impl SessionVerifier {
    pub fn new(public_keys: &str) -> Result<Self, ConfigError> {
        let name = "SESSION_PUBLIC_KEYS";
        let mut keys = Vec::new();
        for pair in public_keys.split(',').map(str::trim).filter(|pair| !pair.is_empty()) {
            let (kid, key) = pair.split_once('=').ok_or_else(|| invalid(name, "expected kid=key pairs"))?;
            let raw =
                URL_SAFE_NO_PAD.decode(key.trim()).map_err(|_| invalid(name, format!("key {kid} is not base64url")))?;
            if raw.len() != 32 {
                return Err(invalid(name, format!("key {kid} is not an Ed25519 public key")));
            }
            keys.push((kid.trim().to_owned(), DecodingKey::from_ed_der(&raw)));
        }
        if keys.is_empty() {
            return Err(invalid(name, "no key"));
        }
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Ok(Self { keys, validation })
    }

    /// The local runner's: the development public key.
    pub fn development() -> Self {
        Self::new(&format!("{DEVELOPMENT_KEY_ID}={DEVELOPMENT_PUBLIC_KEY}")).expect("the development key is a key")
    }

    /// The claims of a token signed by one of the keys and not expired. Tampered, expired,
    /// `alg: none`, HS256, unknown-key and foreign tokens give `None`.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let kid = jsonwebtoken::decode_header(token).ok()?.kid?;
        let (_, key) = self.keys.iter().find(|(id, _)| *id == kid)?;
        jsonwebtoken::decode::<Claims>(token, key, &self.validation).ok().map(|data| data.claims)
    }

    /// The signed-in user of `req`, if any. An `Authorization` header, when present, is the
    /// one looked at, whatever it holds: one that is not a Bearer token that verifies signs
    /// nobody in, even with a valid session cookie beside it.
    pub fn current_user(&self, req: &Request) -> Option<Claims> {
        let token = match req.headers().get(AUTHORIZATION) {
            Some(header) => bearer_token(header)?,
            None => session_cookie(req)?,
        };
        self.verify(token)
    }

    /// The signed-in user, or 401 `Not authorized`.
    pub fn require_user(&self, req: &Request) -> Result<UserId> {
        self.current_user(req).map(|claims| claims.user_id()).ok_or(Error::Unauthorized("Not authorized"))
    }

    /// The signed-in session, or 401 `Not authorized`.
    pub fn require_session(&self, req: &Request) -> Result<Session> {
        self.current_user(req).and_then(|claims| claims.session()).ok_or(Error::Unauthorized("Not authorized"))
    }

    /// The signed-in user of a session that still stands (its account has not ended its
    /// sessions since), read from `users`: what the routes that move money or credentials ask.
    pub async fn require_live_session(&self, req: &Request, users: &impl UserStore) -> Result<UserId> {
        Ok(self.require_live_account(req, users).await?.id)
    }

    /// The account of a session that still stands, read from `users`.
    pub async fn require_live_account(&self, req: &Request, users: &impl UserStore) -> Result<User> {
        users::check_session(users, &self.require_session(req)?).await
    }

    /// `GET /api/users/currentuser`'s answer: the session's user, with what its account (read
    /// from `users`, by the session's email) says of the address; `null` without a valid
    /// session.
    pub async fn current_user_body(&self, req: &Request, users: &impl UserStore) -> Result<CurrentUserBody> {
        let Some(claims) = self.current_user(req) else { return Ok(CurrentUserBody { current_user: None }) };
        let account = match claims.session() {
            Some(session) => users.find_by_email(&session.email).await?.filter(|account| account.id == session.user),
            None => None,
        };
        Ok(CurrentUserBody { current_user: Some(SessionUser::new(claims, account.as_ref())) })
    }
}

fn bearer_token(header: &lambda_http::http::HeaderValue) -> Option<&str> {
    let (scheme, token) = header.to_str().ok()?.split_once(' ')?;
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

/// A new Ed25519 key pair: the private key as `SESSION_SIGNING_KEY` reads it, and the
/// public key as `SESSION_PUBLIC_KEYS` does (without its kid).
pub fn generate_key_pair() -> (String, String) {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&aws_lc_rs::rand::SystemRandom::new()).expect("a random key");
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("a key it made");
    (STANDARD.encode(pkcs8.as_ref()), URL_SAFE_NO_PAD.encode(pair.public_key().as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer(kid: &str, key: &str) -> SessionIssuer {
        SessionIssuer::new(kid, key, Duration::from_secs(3600)).unwrap()
    }

    fn issue(issuer: &SessionIssuer, now: DateTime<Utc>) -> String {
        let email = Email::parse("ada@example.com").unwrap();
        issuer.issue(&Session { user: UserId::from("01JADA"), email, generation: 3 }, now).unwrap()
    }

    fn request(header: (&str, &str)) -> Request {
        lambda_http::http::Request::builder().header(header.0, header.1).body(Default::default()).unwrap()
    }

    #[test]
    fn a_fresh_token_verifies_with_its_claims_and_names_its_key() {
        let (private, public) = generate_key_pair();
        let issuer = issuer("2026-11", &private);
        let verifier = SessionVerifier::new(&format!("2026-11={public}")).unwrap();
        let token = issue(&issuer, Utc::now());
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!((header.alg, header.kid.as_deref()), (Algorithm::EdDSA, Some("2026-11")));
        let claims = verifier.verify(&token).unwrap();
        assert_eq!(
            (claims.sub.as_str(), claims.email.as_str(), claims.exp - claims.iat, claims.generation),
            ("01JADA", "ada@example.com", 3600, 3)
        );
        let session = claims.session().unwrap();
        assert_eq!((session.user.as_str(), session.generation), ("01JADA", 3));
    }

    #[test]
    fn after_a_rotation_the_previous_key_still_verifies_and_a_retired_one_does_not() {
        let ((old_private, old_public), (new_private, new_public)) = (generate_key_pair(), generate_key_pair());
        let before = issue(&issuer("old", &old_private), Utc::now());
        let after = issue(&issuer("new", &new_private), Utc::now());
        let rotated = SessionVerifier::new(&format!("new={new_public},old={old_public}")).unwrap();
        assert!(rotated.verify(&before).is_some() && rotated.verify(&after).is_some(), "nobody is signed out");
        let retired = SessionVerifier::new(&format!("new={new_public}")).unwrap();
        assert!(retired.verify(&before).is_none());
        assert!(retired.verify(&after).is_some());
    }

    #[test]
    fn expired_tampered_foreign_unsigned_and_hs256_tokens_are_rejected() {
        let (private, public) = generate_key_pair();
        let ours = issuer("k", &private);
        let verifier = SessionVerifier::new(&format!("k={public}")).unwrap();
        assert_eq!(verifier.verify(&issue(&ours, Utc::now() - chrono::Duration::seconds(3601))), None, "expired");
        let token = issue(&ours, Utc::now());
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        parts[1] = format!("{}{}", if parts[1].starts_with('A') { "B" } else { "A" }, &parts[1][1..]);
        assert_eq!(verifier.verify(&parts.join(".")), None, "tampered payload");
        let (stranger, _) = generate_key_pair();
        assert_eq!(verifier.verify(&issue(&issuer("k", &stranger), Utc::now())), None, "another key under our kid");
        let claims = r#"{"sub":"01JADA","email":"a@b.co","iat":0,"exp":4102444800}"#;
        let body = URL_SAFE_NO_PAD.encode(claims);
        let none = format!("{}.{body}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"k"}"#));
        assert_eq!(verifier.verify(&none), None, "alg none");
        let mut hs256 = Header::new(Algorithm::HS256);
        hs256.kid = Some("k".into());
        let claims: Claims = serde_json::from_str(claims).unwrap();
        let forged = jsonwebtoken::encode(&hs256, &claims, &EncodingKey::from_secret(public.as_bytes())).unwrap();
        assert_eq!(verifier.verify(&forged), None, "HS256 keyed with the public key");
    }

    #[test]
    fn deployed_configuration_refuses_the_development_key() {
        let dev = |name: &str| match name {
            "SESSION_KEY_ID" => Some(DEVELOPMENT_KEY_ID.to_owned()),
            "SESSION_SIGNING_KEY" => Some(DEVELOPMENT_SIGNING_KEY.to_owned()),
            "SESSION_PUBLIC_KEYS" => Some(format!("{DEVELOPMENT_KEY_ID}={DEVELOPMENT_PUBLIC_KEY}")),
            _ => None,
        };
        assert!(Env::from_fn(dev).load::<SessionIssuer>().err().unwrap().to_string().contains("SESSION_SIGNING_KEY"));
        assert!(Env::from_fn(dev).load::<SessionVerifier>().is_err());
        let (private, public) = generate_key_pair();
        let real = move |name: &str| match name {
            "SESSION_KEY_ID" => Some("2026-11".to_owned()),
            "SESSION_SIGNING_KEY" => Some(private.clone()),
            "SESSION_PUBLIC_KEYS" => Some(format!("2026-11={public}")),
            _ => None,
        };
        assert!(Env::from_fn(&real).load::<SessionIssuer>().is_ok());
        assert!(Env::from_fn(&real).load::<SessionVerifier>().is_ok());
        let (_, current) = generate_key_pair();
        let rotated_to = format!("now={current},before={DEVELOPMENT_PUBLIC_KEY}");
        let beside = |name: &str| (name == "SESSION_PUBLIC_KEYS").then(|| rotated_to.clone());
        assert!(Env::from_fn(beside).load::<SessionVerifier>().is_err(), "a committed key in second place");
        assert!(SessionVerifier::new("k=not-a-key").is_err());
        assert!(SessionIssuer::new("k", "bm90IGEga2V5", Duration::from_secs(1)).is_err());
    }

    #[test]
    fn the_development_pair_is_a_pair_and_committed() {
        let issuer = SessionIssuer::development(Duration::from_secs(60));
        let token = issue(&issuer, Utc::now());
        assert!(SessionVerifier::development().verify(&token).is_some());
        assert_eq!(issuer.public_key(), format!("{DEVELOPMENT_KEY_ID}={DEVELOPMENT_PUBLIC_KEY}"));
        for committed in [DEVELOPMENT_SIGNING_KEY, DEVELOPMENT_PUBLIC_KEY] {
            assert!(domain::config::COMMITTED_SECRETS.contains(&committed));
        }
    }

    #[test]
    fn the_token_comes_from_a_bearer_header_or_the_session_cookie() {
        let token = issue(&SessionIssuer::development(Duration::from_secs(60)), Utc::now());
        let verifier = SessionVerifier::development();
        let bearer = request(("authorization", &format!("Bearer {token}")));
        let cookie = request(("cookie", &format!("theme=dark; session={token}; lang=en")));
        assert_eq!(verifier.current_user(&bearer).unwrap().sub, "01JADA");
        assert_eq!(verifier.current_user(&cookie).unwrap().sub, "01JADA");
        assert!(matches!(verifier.require_user(&request(("cookie", "session="))), Err(Error::Unauthorized(_))));
    }

    #[test]
    fn an_authorization_header_that_does_not_verify_signs_nobody_in_whatever_cookie_comes_with_it() {
        let token = issue(&SessionIssuer::development(Duration::from_secs(60)), Utc::now());
        let verifier = SessionVerifier::development();
        let cookie = format!("session={token}");
        for header in ["Basic Zm9vOmJhcg==", "Bearer", "Bearer not-a-token", "Token abc", token.as_str(), ""] {
            let mut req = request(("cookie", &cookie));
            req.headers_mut().insert("authorization", header.parse().unwrap());
            assert!(verifier.current_user(&req).is_none(), "{header:?}");
            assert!(matches!(verifier.require_user(&req), Err(Error::Unauthorized(_))), "{header:?}");
        }
    }
}
