//! A user: the account, and the types a sign-up or sign-in is parsed into.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::ids::UserId;

/// A lower-cased email address of the usual shape: dot-separated runs of letters, digits and
/// `%+_-` before the `@`, a dotted domain of labels (letters, digits, inner hyphens) after
/// it, at most 254 characters, spaces around it trimmed. [`Email::PATTERN`] says the same
/// for the API's contract, so what the contract calls valid is exactly what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;
    /// The contract's pattern (ECMA-262) for an email as sent, spaces around it included.
    pub const PATTERN: &'static str = r"^[ \t\n\r]*[A-Za-z0-9%+_-]+(\.[A-Za-z0-9%+_-]+)*@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+[ \t\n\r]*$";

    pub fn parse(raw: &str) -> Result<Self, String> {
        let email = trim_ascii_space(raw).to_ascii_lowercase();
        if raw.chars().count() <= Self::MAX_LEN && is_email(&email) {
            Ok(Self(email))
        } else {
            Err("Email must be valid".to_owned())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `raw` without the spaces, tabs and line breaks around it (what the contract's patterns
/// allow around a value).
pub fn trim_ascii_space(raw: &str) -> &str {
    raw.trim_matches([' ', '\t', '\n', '\r'])
}

fn is_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else { return false };
    let local_ok = local
        .split('.')
        .all(|run| !run.is_empty() && run.bytes().all(|b| b.is_ascii_alphanumeric() || b"%+_-".contains(&b)));
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |label: &&str| {
        (1..=63).contains(&label.len())
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    local_ok && labels.len() >= 2 && labels.iter().all(label_ok)
}

impl TryFrom<String> for Email {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

/// A password as typed. Never printed.
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 128;

    /// A new account's password: 8 to 128 characters.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let chars = raw.chars().count();
        if (Self::MIN_CHARS..=Self::MAX_CHARS).contains(&chars) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!("Password must be between {} and {} characters", Self::MIN_CHARS, Self::MAX_CHARS))
        }
    }

    /// A password offered at sign-in: anything non-empty (its length rules may have changed since sign-up).
    pub fn candidate(raw: &str) -> Result<Self, String> {
        if raw.is_empty() { Err("You must supply a password".to_owned()) } else { Ok(Self(raw.to_owned())) }
    }

    /// For the hasher only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

/// A password hash in PHC string form. Never printed, never sent.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub fn from_phc(phc: String) -> Self {
        Self(phc)
    }

    pub fn as_phc(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash([redacted])")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub password_hash: PasswordHash,
    pub created_at: DateTime<Utc>,
    /// Raised by ending every session ([`crate::users::end_sessions`]): a session issued at a
    /// lower one no longer stands. Accounts stored before it existed are at 0.
    #[serde(default)]
    pub session_generation: u32,
    /// Set when mail to the address bounced for good or was reported as unwanted: nothing
    /// is mailed to it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail_suppressed: Option<MailSuppression>,
    /// The password reset the owner asked for last, if it is still to be used: its token's
    /// hash only (the token itself is only ever in the mail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_token: Option<StoredToken>,
    /// When the owner proved the address theirs, by the link of a verification mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified_at: Option<DateTime<Utc>>,
    /// The e-mail verification mailed last, if it is still to be used: its token's hash only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_token: Option<StoredToken>,
}

impl User {
    pub fn email_verified(&self) -> bool {
        self.email_verified_at.is_some()
    }

    /// The account's current token for `purpose`, if any.
    pub fn token(&self, purpose: TokenPurpose) -> Option<&StoredToken> {
        match purpose {
            TokenPurpose::PasswordReset => self.reset_token.as_ref(),
            TokenPurpose::EmailVerification => self.verification_token.as_ref(),
        }
    }

    /// Sets (or, with `None`, removes) the account's token for `purpose`.
    pub fn set_token(&mut self, purpose: TokenPurpose, token: Option<StoredToken>) {
        match purpose {
            TokenPurpose::PasswordReset => self.reset_token = token,
            TokenPurpose::EmailVerification => self.verification_token = token,
        }
    }

    /// Applies `redemption` as of `now`.
    pub fn redeem(&mut self, redemption: &Redemption, now: DateTime<Utc>) {
        self.set_token(redemption.purpose(), None);
        match redemption {
            Redemption::PasswordReset(password) => {
                self.password_hash = password.clone();
                self.session_generation += 1;
            }
            Redemption::EmailVerification => self.email_verified_at = Some(now),
        }
    }
}

/// What a single-use token of an account is for: an account holds at most one of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    PasswordReset,
    EmailVerification,
}

/// What redeeming a token does, in the same atomic write that uses the token up.
#[derive(Debug, Clone)]
pub enum Redemption {
    /// The password becomes this one, and every session issued before stops standing.
    PasswordReset(PasswordHash),
    /// The address is verified, as of the redemption.
    EmailVerification,
}

impl Redemption {
    pub fn purpose(&self) -> TokenPurpose {
        match self {
            Redemption::PasswordReset(_) => TokenPurpose::PasswordReset,
            Redemption::EmailVerification => TokenPurpose::EmailVerification,
        }
    }
}

/// A single-use token as stored: the hash of its secret, and until when it works.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredToken {
    pub hash: String,
    /// Milliseconds since the epoch, UTC: a number, so that a store compares it as one.
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub expires_at: DateTime<Utc>,
}

/// Why an address is no longer mailed, and since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailSuppression {
    pub reason: SuppressionReason,
    pub at: DateTime<Utc>,
}

/// What the mail provider reported of an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionReason {
    /// A permanent bounce: the address does not exist, or refuses mail for good.
    Bounce,
    /// The recipient reported a mail as unwanted.
    Complaint,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(Email::parse("  Ada@Example.COM ").unwrap().as_str(), "ada@example.com");
    }

    #[test]
    fn malformed_emails_are_refused() {
        for raw in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada example@x.com",
            "ada@.com",
            "a..b@x.com",
            ".a@x.com",
            "a.@x.com",
            "a@-x.com",
            "a@x-.com",
            "a@x..com",
            "\"ada\"@x.com",
            "ada@x.com\u{a0}",
            "adé@x.com",
        ] {
            assert!(Email::parse(raw).is_err(), "{raw:?} was accepted");
        }
        for raw in ["a.b+c@sub.example.co", "x_y-z%1@a-b.c0", "\tA@B.CO\r\n"] {
            assert!(Email::parse(raw).is_ok(), "{raw:?} was refused");
        }
        let too_long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&too_long).is_err());
    }

    #[test]
    fn passwords_must_be_8_to_128_characters() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse("12345678").is_ok());
        assert!(Password::parse(&"é".repeat(128)).is_ok(), "counts characters, not bytes");
        assert!(Password::parse(&"a".repeat(129)).is_err());
    }

    #[test]
    fn secrets_never_print() {
        assert_eq!(format!("{:?}", Password::parse("hunter2hunter2").unwrap()), "Password([redacted])");
        assert_eq!(format!("{:?}", PasswordHash::from_phc("$argon2id$x".into())), "PasswordHash([redacted])");
    }
}
