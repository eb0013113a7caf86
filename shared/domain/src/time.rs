//! Time as the API shows it: UTC, RFC 3339, milliseconds.

use chrono::{DateTime, SecondsFormat, Utc};

pub fn timestamp(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}
