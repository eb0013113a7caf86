//! Opaque ids. Tickets, orders and payments are ULIDs (so they sort by creation time):
//! generated here, and parsed from a client only in their canonical form. A user id comes
//! from a session this service signed.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! ulid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn generate() -> Self {
                Self(ulid::Ulid::new().to_string())
            }

            /// The id in its canonical ULID form, `None` for anything else (a 404, not a 400).
            pub fn parse(raw: &str) -> Option<Self> {
                ulid::Ulid::from_string(raw).ok().filter(|id| id.to_string() == raw).map(|id| Self(id.to_string()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// A ULID in its canonical form, as the contract's pattern (ECMA-262).
pub const ULID_PATTERN: &str = "^[0-7][0-9A-HJKMNP-TV-Z]{25}$";

/// Whether `raw` is a ULID in its canonical form (what every listing's keys are).
pub fn is_ulid(raw: &str) -> bool {
    ulid::Ulid::from_string(raw).is_ok_and(|id| id.to_string() == raw)
}

ulid_id!(
    /// Opaque ticket id.
    TicketId
);
ulid_id!(
    /// Opaque order id. It also names the order's expiry schedule.
    OrderId
);
ulid_id!(
    /// Opaque payment id.
    PaymentId
);

/// Opaque user id (a ULID when this service created it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
#[serde(transparent)]
pub struct UserId(String);

impl UserId {
    pub fn generate() -> Self {
        Self(ulid::Ulid::new().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<String> for UserId {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for UserId {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulid_ids_are_parsed_in_their_canonical_form_only() {
        let id = TicketId::generate();
        assert_eq!(TicketId::parse(id.as_str()), Some(id));
        for bad in ["", "42", "not-a-ticket", "01KAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "01kaaaaaaaaaaaaaaaaaaaaaaa"] {
            assert_eq!(TicketId::parse(bad), None, "{bad:?}");
        }
    }
}
