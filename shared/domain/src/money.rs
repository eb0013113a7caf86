//! Money in integer minor units. A decimal amount is parsed from its text and written
//! back as text: no floating point anywhere.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The marketplace's one currency, as Stripe spells it.
pub const CURRENCY: &str = "usd";

/// A positive amount in minor units (cents).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(i64);

impl Money {
    /// The highest price a ticket may have: Stripe's highest charge, 999,999.99.
    pub const MAX: Money = Money(99_999_999);

    /// Parses a decimal amount exactly from its text, as a JSON number is written (`19.99`,
    /// `20`, `0.5`, `1e2`, `1.999e1`): positive, at most two decimals whatever the notation,
    /// at most [`Money::MAX`]. Nothing goes through floating point.
    pub fn parse_decimal(raw: &str) -> Result<Self, String> {
        let invalid = || "Price must be a positive amount with at most two decimals".to_owned();
        let raw = raw.trim();
        let (mantissa, exponent) = match raw.split_once(['e', 'E']) {
            Some((mantissa, exponent)) => (mantissa, exponent.strip_prefix('+').unwrap_or(exponent)),
            None => (raw, "0"),
        };
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let exponent_digits = exponent.strip_prefix('-').unwrap_or(exponent);
        if !digits(whole) || (mantissa.contains('.') && !digits(fraction)) || !digits(exponent_digits) {
            return Err(invalid());
        }
        // The value is `digits × 10^(exponent − fraction length)`: its decimals are the
        // digits the point ends up before.
        let exponent: i64 = exponent.parse().map_err(|_| Self::too_high())?;
        let all = format!("{whole}{fraction}").trim_start_matches('0').to_owned();
        if all.is_empty() {
            return Err("Price must be greater than 0".to_owned());
        }
        let shift = exponent.saturating_sub(fraction.len() as i64);
        let (int_digits, frac_digits) = if shift >= 0 {
            if all.len() as i64 + shift > 8 {
                return Err(Self::too_high());
            }
            (format!("{all}{}", "0".repeat(shift as usize)), String::new())
        } else {
            let point = all.len() as i64 + shift;
            if point < -2 {
                // Its first significant digit lies beyond the cents (trailing zeros aside).
                return Err(invalid());
            }
            if point >= 0 {
                (all[..point as usize].to_owned(), all[point as usize..].to_owned())
            } else {
                (String::new(), format!("{}{all}", "0".repeat((-point) as usize)))
            }
        };
        // "19.90" and "19.900" are the same amount; a third non-zero decimal is not.
        let frac_digits = frac_digits.trim_end_matches('0');
        if frac_digits.len() > 2 {
            return Err(invalid());
        }
        let int_digits = int_digits.trim_start_matches('0');
        if int_digits.len() > 6 {
            return Err(Self::too_high());
        }
        let whole: i64 = if int_digits.is_empty() { 0 } else { int_digits.parse().map_err(|_| invalid())? };
        let cents: i64 = format!("{frac_digits:0<2}").parse().map_err(|_| invalid())?;
        let amount = Money(whole * 100 + cents);
        if amount.0 <= 0 {
            Err("Price must be greater than 0".to_owned())
        } else if amount > Self::MAX {
            Err(Self::too_high())
        } else {
            Ok(amount)
        }
    }

    /// What a price written as a JSON string looks like: plain decimal digits, no sign,
    /// exponent, spaces or leading zeros, at most two decimals, from `0.01` to `999999.99`
    /// (`"20"`, `"20.00"`, `"0.5"`). [`Money::parse_decimal_string`] reads exactly these.
    pub const DECIMAL_STRING_PATTERN: &'static str =
        r"^(?:[1-9][0-9]{0,5}(?:\.[0-9]{1,2})?|0\.(?:[1-9][0-9]?|0[1-9]))$";

    /// Parses a decimal amount written as a JSON string, as a form's text field sends it
    /// (`"20.00"`): the same amounts as [`Money::parse_decimal`], in the one notation of
    /// [`Money::DECIMAL_STRING_PATTERN`].
    pub fn parse_decimal_string(raw: &str) -> Result<Self, String> {
        let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
        let plain = digits(whole)
            && (!raw.contains('.') || (digits(fraction) && fraction.len() <= 2))
            && !(whole.len() > 1 && whole.starts_with('0'));
        if !plain {
            return Err("Price must be a positive amount in plain decimal digits, with at most two decimals".to_owned());
        }
        Self::parse_decimal(raw)
    }

    fn too_high() -> String {
        "Price must be at most 999999.99".to_owned()
    }

    pub const ZERO: Money = Money(0);

    pub fn is_zero(&self) -> bool {
        self.0 == 0
    }

    pub fn from_minor(minor: i64) -> Self {
        Money(minor)
    }

    pub fn minor(self) -> i64 {
        self.0
    }
}

/// One or more ASCII digits and nothing else.
fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
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
            ("999999.99", 99_999_999),
            ("19.900", 1990),
            ("007.10", 710),
            ("1e2", 10_000),
            ("1E+2", 10_000),
            ("1.999e1", 1999),
            ("1999e-2", 1999),
            ("0.000000000000000000001e21", 100),
        ] {
            assert_eq!(Money::parse_decimal(raw), Ok(Money(minor)), "{raw}");
        }
    }

    #[test]
    fn malformed_zero_negative_and_too_precise_amounts_are_refused() {
        for raw in [
            "",
            "abc",
            "-5",
            "0",
            "0.00",
            "19.999",
            "19.999999999999999",
            "1.9999e1",
            "1e-3",
            "1e6",
            "1000000",
            "999999.991",
            "19.",
            ".5",
            "1 000",
            "1e",
            "e2",
            "1e2.5",
            "99999999999999999999",
            "1e99999999999999999999",
            "1e-99999999999999",
            "5e-9223372036854775808",
        ] {
            assert!(Money::parse_decimal(raw).is_err(), "{raw:?} was accepted");
        }
    }

    #[test]
    fn a_decimal_string_is_read_like_a_number_in_plain_digits_only() {
        for (raw, minor) in [
            ("20", 2000),
            ("20.00", 2000),
            ("19.99", 1999),
            ("0.5", 50),
            ("0.10", 10),
            ("0.01", 1),
            ("999999.99", 99_999_999),
        ] {
            assert_eq!(Money::parse_decimal_string(raw), Ok(Money(minor)), "{raw}");
        }
        for raw in [
            "",
            "0",
            "0.0",
            "0.00",
            "00.5",
            "007",
            "19.999",
            "19.990",
            "19.",
            ".5",
            "-5",
            "+5",
            "1e2",
            " 20",
            "20 ",
            "1,000",
            "1000000",
            "999999.991",
            "ten",
            "0x10",
        ] {
            assert!(Money::parse_decimal_string(raw).is_err(), "{raw:?} was accepted");
        }
        assert_eq!(Money::parse_decimal_string("1000000"), Err("Price must be at most 999999.99".to_owned()));
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
