//! Orders: a buyer reserves a ticket by ordering it; the reservation lapses at
//! `expires_at` unless paid. Every change of an order and of the ticket it holds is one
//! conditional change, so a ticket is never held by two live orders.

mod reservations;

use std::time::Duration;

pub(crate) use reservations::cancel_and_release;
pub use reservations::{PAST_EVENT, TOO_MANY_RESERVATIONS, TOO_SOON_AGAIN, cancel, get_own, list, place};

use crate::config::{ConfigError, Env, FromEnv};

/// How long an order holds its ticket: `RESERVATION_TIMEOUT_SECONDS` when set (tests and
/// demos), else `RESERVATION_TIMEOUT` minutes, 15 by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReservationTimeout(pub Duration);

impl Default for ReservationTimeout {
    fn default() -> Self {
        Self(Duration::from_secs(15 * 60))
    }
}

impl FromEnv for ReservationTimeout {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let minutes = env.seconds("RESERVATION_TIMEOUT", 15)? * 60;
        let seconds =
            env.optional("RESERVATION_TIMEOUT_SECONDS").map(|_| env.seconds("RESERVATION_TIMEOUT_SECONDS", 1));
        Ok(Self(seconds.transpose()?.unwrap_or(minutes)))
    }
}

/// How many open reservations a buyer may hold at once: `MAX_OPEN_RESERVATIONS`, 3 by
/// default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReservationLimit(pub usize);

impl Default for ReservationLimit {
    fn default() -> Self {
        Self(3)
    }
}

impl FromEnv for ReservationLimit {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let Some(raw) = env.optional("MAX_OPEN_RESERVATIONS") else { return Ok(Self::default()) };
        match raw.trim().parse::<usize>() {
            Ok(limit) if limit > 0 => Ok(Self(limit)),
            _ => Err(ConfigError::Invalid {
                name: "MAX_OPEN_RESERVATIONS",
                reason: format!("not a positive whole number: {raw:?}"),
            }),
        }
    }
}

/// How long a buyer waits before ordering again a ticket whose reservation they let go
/// (cancelled, or let lapse): `REORDER_COOLDOWN_SECONDS`, 300 by default (0: no wait).
/// Without it, cancelling just before `expiresAt` and ordering again holds a ticket for ever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReorderCooldown(pub Duration);

impl Default for ReorderCooldown {
    fn default() -> Self {
        Self(Duration::from_secs(300))
    }
}

impl FromEnv for ReorderCooldown {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let Some(raw) = env.optional("REORDER_COOLDOWN_SECONDS") else { return Ok(Self::default()) };
        raw.trim().parse::<u64>().map(|secs| Self(Duration::from_secs(secs))).map_err(|_| ConfigError::Invalid {
            name: "REORDER_COOLDOWN_SECONDS",
            reason: format!("not a whole number of seconds: {raw:?}"),
        })
    }
}

/// The rules a placement follows: how many open reservations a buyer may hold, and how long
/// they wait to order again a ticket they let go. A bare [`ReservationLimit`] waits nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReservationRules {
    pub limit: ReservationLimit,
    pub cooldown: ReorderCooldown,
}

impl From<ReservationLimit> for ReservationRules {
    fn from(limit: ReservationLimit) -> Self {
        Self { limit, cooldown: ReorderCooldown(Duration::ZERO) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reservation_timeout_is_seconds_minutes_or_fifteen_minutes() {
        let read = |vars: &'static [(&'static str, &'static str)]| {
            let env = Env::from_fn(move |name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string()));
            env.load::<ReservationTimeout>().map(|timeout| timeout.0)
        };
        assert_eq!(read(&[]).unwrap(), Duration::from_secs(900));
        assert_eq!(read(&[("RESERVATION_TIMEOUT", "2")]).unwrap(), Duration::from_secs(120));
        assert_eq!(
            read(&[("RESERVATION_TIMEOUT", "2"), ("RESERVATION_TIMEOUT_SECONDS", "5")]).unwrap(),
            Duration::from_secs(5)
        );
        assert!(read(&[("RESERVATION_TIMEOUT_SECONDS", "0")]).is_err());
    }
}
