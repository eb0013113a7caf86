//! Ports: one small trait per capability. Services ask only for the ports they use;
//! every adapter of a port passes the same conformance suite (`tests/`).

use std::future::Future;

use crate::error::Result;
use crate::users::{Email, User};

pub trait UserStore: Send + Sync {
    /// Stores a new user. An email already in use (compared lower-cased) is
    /// `Conflict("Email in use")`, decided atomically by the store.
    fn insert(&self, user: &User) -> impl Future<Output = Result<()>> + Send;

    fn find_by_email(&self, email: &Email) -> impl Future<Output = Result<Option<User>>> + Send;
}
