//! Time as the API shows it: UTC, RFC 3339, milliseconds.

use chrono::{DateTime, SecondsFormat, Utc};

pub fn timestamp(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The whole seconds from `now` until `until`, rounded up and at least one: what a
/// `Retry-After` says, never sooner than the wait ends.
pub fn seconds_until(until: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    u64::try_from((until - now).num_milliseconds().max(1)).unwrap_or(1).div_ceil(1000)
}
