//! Typed configuration, read once at cold start. A missing or malformed variable
//! fails start-up with a message naming it.

use std::fmt;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("missing environment variable {0}")]
    Missing(&'static str),
    #[error("invalid environment variable {name}: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// A value that must never reach a log line.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

pub fn required(name: &'static str) -> Result<String, ConfigError> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(ConfigError::Missing(name)),
    }
}

pub fn optional(name: &'static str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.trim().is_empty())
}

/// A positive number of seconds, or `default` when unset.
pub fn seconds(name: &'static str, default: u64) -> Result<Duration, ConfigError> {
    match optional(name) {
        None => Ok(Duration::from_secs(default)),
        Some(value) => match value.trim().parse::<u64>() {
            Ok(secs) if secs > 0 => Ok(Duration::from_secs(secs)),
            _ => Err(ConfigError::Invalid {
                name,
                reason: format!("expected a positive number of seconds, got {value:?}"),
            }),
        },
    }
}

/// What every route that issues or reads a session needs.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// `JWT_SECRET`: the HS256 signing secret.
    pub jwt_secret: Secret,
    /// `SESSION_TTL_SECONDS`: session lifetime, one hour by default.
    pub session_ttl: Duration,
}

impl AuthConfig {
    pub const MIN_SECRET_LEN: usize = 32;

    pub fn from_env() -> Result<Self, ConfigError> {
        let secret = required("JWT_SECRET")?;
        Self::new(Secret::new(secret), seconds("SESSION_TTL_SECONDS", 3600)?)
    }

    pub fn new(jwt_secret: Secret, session_ttl: Duration) -> Result<Self, ConfigError> {
        if jwt_secret.expose().len() < Self::MIN_SECRET_LEN {
            return Err(ConfigError::Invalid {
                name: "JWT_SECRET",
                reason: format!("must be at least {} bytes", Self::MIN_SECRET_LEN),
            });
        }
        Ok(Self { jwt_secret, session_ttl })
    }
}

/// The configuration of a function that reads or writes the users table.
#[derive(Debug, Clone)]
pub struct UsersConfig {
    pub auth: AuthConfig,
    /// `USERS_TABLE`: the DynamoDB users table.
    pub users_table: String,
}

impl UsersConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self { auth: AuthConfig::from_env()?, users_table: required("USERS_TABLE")? })
    }
}

/// The configuration of a function that reads or writes the tickets table.
#[derive(Debug, Clone)]
pub struct TicketsConfig {
    /// `TICKETS_TABLE`: the DynamoDB tickets table.
    pub tickets_table: String,
    /// `OUTBOX_TABLE`: the DynamoDB outbox table every write stores its event in.
    pub outbox_table: String,
}

impl TicketsConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self { tickets_table: required("TICKETS_TABLE")?, outbox_table: required("OUTBOX_TABLE")? })
    }
}

/// The configuration of a function that changes orders (and the tickets they hold).
#[derive(Debug, Clone)]
pub struct OrdersConfig {
    /// `ORDERS_TABLE`
    pub orders_table: String,
    pub tickets: TicketsConfig,
    /// `PAYMENTS_TABLE`
    pub payments_table: String,
    /// `RESERVATION_TIMEOUT` minutes (15 by default), or `RESERVATION_TIMEOUT_SECONDS`
    /// when set (for tests and demos).
    pub reservation_timeout: Duration,
}

impl OrdersConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            orders_table: required("ORDERS_TABLE")?,
            tickets: TicketsConfig::from_env()?,
            payments_table: required("PAYMENTS_TABLE")?,
            reservation_timeout: reservation_timeout()?,
        })
    }
}

/// `RESERVATION_TIMEOUT_SECONDS` if set, else `RESERVATION_TIMEOUT` minutes, else 15 minutes.
pub fn reservation_timeout() -> Result<Duration, ConfigError> {
    if optional("RESERVATION_TIMEOUT_SECONDS").is_some() {
        return seconds("RESERVATION_TIMEOUT_SECONDS", 0);
    }
    Ok(seconds("RESERVATION_TIMEOUT", 15)? * 60)
}

/// How the payments service reaches Stripe.
#[derive(Debug, Clone)]
pub struct StripeConfig {
    /// `STRIPE_SECRET_KEY`
    pub secret_key: Secret,
    /// `STRIPE_API_BASE`: another Stripe-compatible server (ends with `/`).
    pub api_base: Option<String>,
}

impl StripeConfig {
    /// `None` when `STRIPE_SECRET_KEY` is not set.
    pub fn from_env() -> Option<Self> {
        Some(Self { secret_key: Secret::new(optional("STRIPE_SECRET_KEY")?), api_base: optional("STRIPE_API_BASE") })
    }

    pub fn required() -> Result<Self, ConfigError> {
        Self::from_env().ok_or(ConfigError::Missing("STRIPE_SECRET_KEY"))
    }
}

/// `STRIPE_WEBHOOK_SECRET`: the webhook endpoint's signing secret.
pub fn webhook_secret() -> Result<Secret, ConfigError> {
    required("STRIPE_WEBHOOK_SECRET").map(Secret::new)
}

/// Where the expiration service creates schedules, and what they invoke.
#[derive(Debug, Clone)]
pub struct ScheduleConfig {
    pub target: crate::adapters::scheduler::ScheduleTarget,
}

impl ScheduleConfig {
    /// `SCHEDULE_GROUP`, `EXPIRY_FUNCTION_ARN`, `SCHEDULER_ROLE_ARN`, `SCHEDULE_DLQ_ARN`.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            target: crate::adapters::scheduler::ScheduleTarget {
                group: required("SCHEDULE_GROUP")?,
                target_arn: required("EXPIRY_FUNCTION_ARN")?,
                role_arn: required("SCHEDULER_ROLE_ARN")?,
                dead_letter_arn: required("SCHEDULE_DLQ_ARN")?,
            },
        })
    }
}

/// The configuration of the notifications consumer and routes.
#[derive(Debug, Clone)]
pub struct NotificationsConfig {
    /// `NOTIFICATIONS_TABLE`
    pub table: String,
    /// `NOTIFICATIONS_QUEUE_URL`: the outbound queue for the delivery integration.
    pub queue_url: Option<String>,
}

impl NotificationsConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self { table: required("NOTIFICATIONS_TABLE")?, queue_url: optional("NOTIFICATIONS_QUEUE_URL") })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let secret = Secret::new("super-secret-value");
        assert_eq!(format!("{secret:?}"), "Secret([redacted])");
    }

    #[test]
    fn a_short_jwt_secret_is_refused() {
        let error = AuthConfig::new(Secret::new("short"), Duration::from_secs(60)).unwrap_err();
        assert!(error.to_string().contains("JWT_SECRET"), "{error}");
    }
}
