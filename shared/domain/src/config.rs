//! Typed configuration, read once at cold start. Each capability (a table, a queue, the
//! session keys, Stripe) reads its own variables through [`FromEnv`]; a function's
//! configuration is the tuple of the capabilities it uses, so it reads exactly their
//! variables. [`Env`] records every read, so tests can compare what a function reads with
//! what `template.yaml` gives it. A missing or malformed variable fails start-up with a
//! message naming it.

use std::cell::RefCell;
use std::fmt;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("missing environment variable {0}")]
    Missing(&'static str),
    #[error("invalid environment variable {name}: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// The variable that marks a local run: SAM CLI sets it (`true`) in `sam local invoke`, and
/// so do the tests, `scripts/invoke` and the benchmark when they run the functions' own
/// binaries, and the local runner; `template.yaml` never does. Only a local run accepts the
/// keys and secrets committed to the repository ([`COMMITTED_SECRETS`]).
pub const LOCAL_RUN: &str = "AWS_SAM_LOCAL";

/// Every key and secret committed to the repository, for local runs and the samples: public,
/// so no deployed function starts with one. (`tests/checks/template.rs` checks that the list holds
/// every secret the repository's configuration files give a function.)
pub const COMMITTED_SECRETS: &[&str] = &[
    // The local runner's session key pair: `edge::auth::DEVELOPMENT_SIGNING_KEY` and its
    // public key.
    "MC4CAQAwBQYDK2VwBCIEID2xIYDnbxfjEHcl4p74ReeAi00OaAQrCeJI5hckPih6",
    "dq716gH9qn35VolKDvM6cU0BwccjdD6Hsxn74cUwyGQ",
    // The samples' key pair (`events/sam-local-env.json`, `samconfig.toml`).
    "MC4CAQAwBQYDK2VwBCIEILavNxA7ylG6EOFaVmSxkuUORcpk03A9cLWHuVXZcn0n",
    "uqiPvoV8TrXyAb6TLQbtvxIrx122taeApYYb5wi_tm0",
    // Stripe's placeholders and the local webhook secrets.
    "sk_test_your_stripe_test_key",
    "pk_test_samples",
    "whsec_local_development",
    "whsec_local_connect",
    // The samples' origin header secret.
    "origin-verify-samples",
];

/// A value that must never reach a log line.
#[derive(Clone, PartialEq, Eq)]
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

/// A variable a capability read, and whether it must be set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Read {
    pub name: &'static str,
    pub required: bool,
}

type Lookup<'a> = Box<dyn Fn(&str) -> Option<String> + 'a>;

/// Where variables come from: the process environment, or any lookup (tests).
pub struct Env<'a> {
    lookup: Lookup<'a>,
    reads: RefCell<Vec<Read>>,
}

impl<'a> Env<'a> {
    /// The process environment.
    pub fn process() -> Env<'static> {
        Env::from_fn(|name| std::env::var(name).ok())
    }

    pub fn from_fn(lookup: impl Fn(&str) -> Option<String> + 'a) -> Self {
        Self { lookup: Box::new(lookup), reads: RefCell::new(Vec::new()) }
    }

    /// Reads a `T` and returns it.
    pub fn load<T: FromEnv>(&self) -> Result<T, ConfigError> {
        T::from_env(self)
    }

    /// Every variable read so far, in order.
    pub fn reads(&self) -> Vec<Read> {
        self.reads.borrow().clone()
    }

    fn get(&self, name: &'static str, required: bool) -> Option<String> {
        self.reads.borrow_mut().push(Read { name, required });
        (self.lookup)(name).filter(|value| !value.trim().is_empty())
    }

    pub fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.get(name, true).ok_or(ConfigError::Missing(name))
    }

    pub fn optional(&self, name: &'static str) -> Option<String> {
        self.get(name, false)
    }

    /// Whether this is a local run ([`LOCAL_RUN`]). Not recorded as a read: no function is
    /// given it.
    pub fn is_local_run(&self) -> bool {
        (self.lookup)(LOCAL_RUN).is_some_and(|value| value.trim() == "true")
    }

    /// Refuses `value`, read from `name`, when it is committed to the repository
    /// ([`COMMITTED_SECRETS`]), unless this is a local run.
    pub fn refuse_committed(&self, name: &'static str, value: &str) -> Result<(), ConfigError> {
        if !self.is_local_run() && COMMITTED_SECRETS.contains(&value.trim()) {
            return Err(ConfigError::Invalid {
                name,
                reason: format!(
                    "this value is committed to the repository, so public: only a local run ({LOCAL_RUN}=true) takes it"
                ),
            });
        }
        Ok(())
    }

    /// A required key or secret, refused when committed to the repository.
    pub fn secret(&self, name: &'static str) -> Result<String, ConfigError> {
        let value = self.required(name)?;
        self.refuse_committed(name, &value)?;
        Ok(value)
    }

    /// A positive whole number, or `default` when unset.
    pub fn count(&self, name: &'static str, default: u32) -> Result<u32, ConfigError> {
        match self.optional(name) {
            None => Ok(default),
            Some(value) => match value.trim().parse::<u32>() {
                Ok(count) if count > 0 => Ok(count),
                _ => Err(ConfigError::Invalid {
                    name,
                    reason: format!("expected a positive whole number, got {value:?}"),
                }),
            },
        }
    }

    /// A positive number of seconds, or `default` when unset.
    pub fn seconds(&self, name: &'static str, default: u64) -> Result<Duration, ConfigError> {
        match self.optional(name) {
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
}

/// A capability's configuration, read from the environment.
pub trait FromEnv: Sized {
    fn from_env(env: &Env) -> Result<Self, ConfigError>;
}

/// A function that needs no configuration.
impl FromEnv for () {
    fn from_env(_: &Env) -> Result<Self, ConfigError> {
        Ok(())
    }
}

macro_rules! tuple_from_env {
    ($($name:ident),+) => {
        impl<$($name: FromEnv),+> FromEnv for ($($name,)+) {
            fn from_env(env: &Env) -> Result<Self, ConfigError> {
                Ok(($($name::from_env(env)?,)+))
            }
        }
    };
}

tuple_from_env!(A);
tuple_from_env!(A, B);
tuple_from_env!(A, B, C);
tuple_from_env!(A, B, C, D);
tuple_from_env!(A, B, C, D, E);
tuple_from_env!(A, B, C, D, E, F);
tuple_from_env!(A, B, C, D, E, F, G);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let secret = Secret::new("super-secret-value");
        assert_eq!(format!("{secret:?}"), "Secret([redacted])");
    }

    struct Table(String);

    impl FromEnv for Table {
        fn from_env(env: &Env) -> Result<Self, ConfigError> {
            Ok(Self(env.required("TABLE")?))
        }
    }

    #[test]
    fn a_committed_secret_is_refused_unless_the_run_is_local() {
        let committed = COMMITTED_SECRETS[0];
        let deployed = Env::from_fn(|name| (name == "KEY").then(|| format!(" {committed} ")));
        let refused = deployed.secret("KEY").unwrap_err().to_string();
        assert!(refused.contains("KEY") && refused.contains("committed"), "{refused}");
        assert_eq!(deployed.reads(), [Read { name: "KEY", required: true }], "the marker is no read");
        let local = Env::from_fn(|name| match name {
            "KEY" => Some(committed.to_owned()),
            LOCAL_RUN => Some("true".to_owned()),
            _ => None,
        });
        assert_eq!(local.secret("KEY").unwrap(), committed);
        let other = Env::from_fn(|name| (name == "KEY").then(|| "whsec_a_real_one".to_owned()));
        assert_eq!(other.secret("KEY").unwrap(), "whsec_a_real_one");
        let not_true = Env::from_fn(|name| match name {
            "KEY" => Some(committed.to_owned()),
            LOCAL_RUN => Some("false".to_owned()),
            _ => None,
        });
        assert!(not_true.secret("KEY").is_err());
    }

    #[test]
    fn every_read_is_recorded_and_a_missing_variable_is_named() {
        let env = Env::from_fn(|name| (name == "TABLE").then(|| "t".to_owned()));
        let (table, ttl) = env.load::<(Table, ())>().map(|(table, ())| (table.0, env.seconds("TTL", 60))).unwrap();
        assert_eq!((table.as_str(), ttl.unwrap()), ("t", Duration::from_secs(60)));
        assert_eq!(env.reads(), [Read { name: "TABLE", required: true }, Read { name: "TTL", required: false }]);

        let empty = Env::from_fn(|_| Some("  ".to_owned()));
        assert_eq!(empty.load::<Table>().err().unwrap().to_string(), "missing environment variable TABLE");
        let bad = Env::from_fn(|_| Some("soon".to_owned()));
        assert!(bad.seconds("TTL", 1).unwrap_err().to_string().contains("TTL"));
    }
}
