//! Pagination over HTTP: `?limit=` and an opaque `?cursor=` in, a `Link` header carrying the
//! next page's cursor out.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::page::{DEFAULT_LIMIT, MAX_LIMIT, PageRequest};
use domain::{Error, FieldError, Result};

const CURSOR_PREFIX: &str = "after:";

/// Reads `limit` and `cursor` from a query string's parameters.
pub fn page_request(query: &HashMap<String, String>) -> Result<PageRequest> {
    let mut errors = Vec::new();
    let limit = match query.get("limit") {
        None => DEFAULT_LIMIT,
        Some(raw) => match raw.parse::<usize>() {
            Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => limit,
            _ => {
                errors.push(FieldError::new("limit", format!("limit must be a whole number from 1 to {MAX_LIMIT}")));
                DEFAULT_LIMIT
            }
        },
    };
    let after = query.get("cursor").map(|cursor| {
        decode_cursor(cursor).unwrap_or_else(|| {
            errors.push(FieldError::new("cursor", "cursor is not one this API gave out"));
            String::new()
        })
    });
    if errors.is_empty() { Ok(PageRequest { limit, after }) } else { Err(Error::Validation(errors)) }
}

pub fn encode_cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{key}"))
}

/// The key a cursor of ours carries: every listing is keyed by ULIDs, so anything else
/// (and anything long) is refused before it reaches a store.
fn decode_cursor(cursor: &str) -> Option<String> {
    if cursor.len() > 64 {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix(CURSOR_PREFIX).filter(|key| domain::ids::is_ulid(key)).map(str::to_owned)
}

/// `<path?params&limit=..&cursor=..>; rel="next"` for the page after `next`.
pub fn next_link(path: &str, params: &[(&str, &str)], limit: usize, next: &str) -> String {
    let mut query: Vec<String> =
        params.iter().map(|(name, value)| format!("{name}={}", percent_encode(value))).collect();
    query.push(format!("limit={limit}"));
    query.push(format!("cursor={}", encode_cursor(next)));
    format!("<{path}?{}>; rel=\"next\"", query.join("&"))
}

fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn limit_defaults_to_20_and_is_at_most_100() {
        assert_eq!(page_request(&query(&[])).unwrap(), PageRequest::first(20));
        assert_eq!(page_request(&query(&[("limit", "100")])).unwrap().limit, 100);
        for bad in ["0", "101", "-1", "ten", ""] {
            assert!(page_request(&query(&[("limit", bad)])).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn cursors_round_trip_and_forged_ones_are_refused() {
        const KEY: &str = "01KB0SAMP1E0T1CKET0000000A";
        let cursor = encode_cursor(KEY);
        let request = page_request(&query(&[("cursor", &cursor)])).unwrap();
        assert_eq!(request.after.as_deref(), Some(KEY));
        let long = encode_cursor(&"0".repeat(2000));
        let not_an_id = encode_cursor("x");
        for bad in [KEY, "!!!", &URL_SAFE_NO_PAD.encode("before:x"), &long, &not_an_id] {
            assert!(page_request(&query(&[("cursor", bad)])).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_next_link_keeps_the_filters() {
        let link = next_link("/api/tickets", &[("userId", "a b")], 5, "k");
        assert_eq!(link, format!("</api/tickets?userId=a%20b&limit=5&cursor={}>; rel=\"next\"", encode_cursor("k")));
    }
}
