//! Pagination over HTTP: `?limit=` and `?cursor=` in, a `Link` header carrying the next
//! page's cursor out. A cursor is the id of the last item of the page before (every listing
//! is keyed by ULIDs), as Stripe's `starting_after` is: anything else is 400.

use std::collections::HashMap;

use domain::page::{DEFAULT_LIMIT, MAX_LIMIT, PageRequest};
use domain::{Error, FieldError, Result};

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
            errors.push(FieldError::new("cursor", "cursor must be the id of an item of the listing"));
            String::new()
        })
    });
    if errors.is_empty() { Ok(PageRequest { limit, after }) } else { Err(Error::Validation(errors)) }
}

pub fn encode_cursor(key: &str) -> String {
    key.to_owned()
}

/// The key a cursor carries: a ULID, refused otherwise before it reaches a store.
fn decode_cursor(cursor: &str) -> Option<String> {
    domain::ids::is_ulid(cursor).then(|| cursor.to_owned())
}

/// `<path?params&limit=..&cursor=..>; rel="next"` for the page after `next`.
pub fn next_link(path: &str, params: &[(&str, &str)], limit: usize, next: &str) -> String {
    let mut query: Vec<String> =
        params.iter().map(|(name, value)| format!("{name}={}", domain::encoding::percent_encode(value))).collect();
    query.push(format!("limit={limit}"));
    query.push(format!("cursor={}", encode_cursor(next)));
    format!("<{path}?{}>; rel=\"next\"", query.join("&"))
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
    fn a_cursor_is_an_items_id() {
        const KEY: &str = "01KB0SAMP1E0T1CKET0000000A";
        let request = page_request(&query(&[("cursor", &encode_cursor(KEY))])).unwrap();
        assert_eq!(request.after.as_deref(), Some(KEY));
        let long = "0".repeat(2000);
        for bad in ["!!!", "01kb0samp1e0t1cket0000000a", "x", &long, ""] {
            assert!(page_request(&query(&[("cursor", bad)])).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_next_link_keeps_the_filters() {
        let link = next_link("/api/tickets", &[("userId", "a b")], 5, "k");
        assert_eq!(link, format!("</api/tickets?userId=a%20b&limit=5&cursor={}>; rel=\"next\"", encode_cursor("k")));
    }
}
