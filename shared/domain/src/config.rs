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
