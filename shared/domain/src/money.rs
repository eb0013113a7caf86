//! Money in integer minor units. A decimal amount is parsed from its text and written
//! back as text: no floating point anywhere.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The marketplace's one currency, as Stripe spells it.
pub const CURRENCY: &str = "usd";

/// A positive amount in minor units (cents).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(i64);

impl Money {
    /// The highest price a ticket may have: 1,000,000.00.
    pub const MAX: Money = Money(100_000_000);

    /// Parses a decimal amount such as `19.99`, `20` or `0.5`: positive, at most two
    /// decimals, at most [`Money::MAX`].
    pub fn parse_decimal(raw: &str) -> Result<Self, String> {
        let invalid = || "Price must be a positive amount with at most two decimals".to_owned();
        let raw = raw.trim();
        let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(fraction) || (raw.contains('.') && fraction.is_empty()) {
            return Err(invalid());
        }
        // "19.90" and "19.900" are the same amount; a third non-zero decimal is not.
        let fraction = fraction.trim_end_matches('0');
        if fraction.len() > 2 {
            return Err(invalid());
        }
        let whole = whole.trim_start_matches('0');
        if whole.len() > 7 {
            return Err(Self::too_high());
        }
        let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| invalid())? };
        let cents: i64 = format!("{fraction:0<2}").parse().map_err(|_| invalid())?;
        let amount = Money(whole * 100 + cents);
        if amount.0 <= 0 {
            Err("Price must be greater than 0".to_owned())
        } else if amount > Self::MAX {
            Err(Self::too_high())
        } else {
            Ok(amount)
        }
    }

    fn too_high() -> String {
        "Price must be at most 1000000".to_owned()
    }

    pub fn from_minor(minor: i64) -> Self {
        Money(minor)
    }

    pub fn minor(self) -> i64 {
        self.0
    }
}

/// `19.99`, `20.00`: the amount as a decimal with two places.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}{}.{:02}", self.0.unsigned_abs() / 100, self.0.unsigned_abs() % 100)
    }
}

/// Writes an amount as a JSON number (`19.99`) from its exact decimal text.
pub fn serialize_decimal<S: serde::Serializer>(amount: &Money, serializer: S) -> Result<S::Ok, S::Error> {
    let raw = serde_json::value::RawValue::from_string(amount.to_string()).map_err(serde::ser::Error::custom)?;
    raw.serialize(serializer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_amounts_become_exact_minor_units() {
        for (raw, minor) in [
            ("19.99", 1999),
            ("20", 2000),
            ("0.5", 50),
            ("0.01", 1),
            ("1000000", 100_000_000),
            ("19.900", 1990),
            ("007.10", 710),
        ] {
            assert_eq!(Money::parse_decimal(raw), Ok(Money(minor)), "{raw}");
        }
    }

    #[test]
    fn malformed_zero_negative_and_too_precise_amounts_are_refused() {
        for raw in
            ["", "abc", "-5", "0", "0.00", "19.999", "1e3", "19.", ".5", "1 000", "1000000.01", "99999999999999999999"]
        {
            assert!(Money::parse_decimal(raw).is_err(), "{raw:?} was accepted");
        }
    }

    #[test]
    fn amounts_print_with_two_decimals() {
        assert_eq!(Money(1999).to_string(), "19.99");
        assert_eq!(Money(2000).to_string(), "20.00");
        assert_eq!(Money(5).to_string(), "0.05");
        let json = serde_json::to_string(&Wrapper { amount: Money(1999) }).unwrap();
        assert_eq!(json, r#"{"amount":19.99}"#);
    }

    #[derive(Serialize)]
    struct Wrapper {
        #[serde(serialize_with = "serialize_decimal")]
        amount: Money,
    }
}
