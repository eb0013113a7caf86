//! The embedded store used by the local runner: redb, one file under the data directory,
//! or in memory for tests. Records are JSON; every write is one serialized, durable
//! transaction, which gives the same atomicity as DynamoDB's conditional writes.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use crate::error::{Error, Result};
use crate::ports::UserStore;
use crate::users::{Email, User};

const USERS: TableDefinition<&str, &[u8]> = TableDefinition::new("users");

/// A handle on one embedded database; cheap to clone.
#[derive(Clone)]
pub struct EmbeddedDb(Arc<Database>);

impl EmbeddedDb {
    /// Opens (or creates) the database file at `path`, creating its directory.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let db = Database::create(path).with_context(|| format!("opening {}", path.display()))?;
        Ok(Self(Arc::new(db)))
    }

    /// A fresh database that lives as long as its handles.
    pub fn in_memory() -> Self {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .expect("an in-memory database always opens");
        Self(Arc::new(db))
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Database) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let db = self.0.clone();
        tokio::task::spawn_blocking(move || work(&db)).await.context("embedded store task")?
    }
}

fn storage(error: impl Into<redb::Error>) -> Error {
    Error::Internal(anyhow::Error::new(error.into()).context("embedded store"))
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).context("decoding an embedded record").map_err(Error::Internal)
}

fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).context("encoding an embedded record").map_err(Error::Internal)
}

#[derive(Clone)]
pub struct EmbeddedUserStore {
    db: EmbeddedDb,
}

impl EmbeddedUserStore {
    pub fn new(db: EmbeddedDb) -> Self {
        Self { db }
    }
}

impl UserStore for EmbeddedUserStore {
    async fn insert(&self, user: &User) -> Result<()> {
        let record = encode(user)?;
        let email = user.email.as_str().to_owned();
        self.db
            .blocking(move |db| {
                let txn = db.begin_write().map_err(storage)?;
                {
                    let mut users = txn.open_table(USERS).map_err(storage)?;
                    if users.get(email.as_str()).map_err(storage)?.is_some() {
                        return Err(Error::Conflict("Email in use"));
                    }
                    users.insert(email.as_str(), record.as_slice()).map_err(storage)?;
                }
                txn.commit().map_err(storage)
            })
            .await
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<User>> {
        let email = email.as_str().to_owned();
        self.db
            .blocking(move |db| {
                let txn = db.begin_read().map_err(storage)?;
                let users = match txn.open_table(USERS) {
                    Ok(users) => users,
                    Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
                    Err(e) => return Err(storage(e)),
                };
                users.get(email.as_str()).map_err(storage)?.map(|record| decode(record.value())).transpose()
            })
            .await
    }
}
