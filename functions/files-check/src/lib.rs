//! Invoked by S3's `Object Created` event of the files bucket (through EventBridge): checks the stored
//! file against the upload its seller declared (size, and first bytes against the type);
//! the ticket shows a file that passes, and one that fails is deleted. An error fails the
//! invocation: Lambda retries it twice, then sends it to the function's on-failure queue.

use aws_adapters::{FileWrites, FilesBucket};
use chrono::Utc;
use domain::Result;
use domain::files::{self, Checked};
use domain::ports::{ChangeStore, FileStore, OrderStore, PayoutStore, TicketStore};
use serde::Deserialize;

pub type Config = (FileWrites, FilesBucket);

/// The fields of S3's `Object Created` event (EventBridge's envelope) the check reads.
#[derive(Debug, Deserialize)]
pub struct ObjectCreated {
    pub detail: CreatedDetail,
}

#[derive(Debug, Deserialize)]
pub struct CreatedDetail {
    pub object: CreatedObject,
}

#[derive(Debug, Deserialize)]
pub struct CreatedObject {
    /// The service's keys need no URL encoding.
    pub key: String,
}

impl ObjectCreated {
    /// The event of an object stored under `key`.
    pub fn of(key: &str) -> Self {
        Self { detail: CreatedDetail { object: CreatedObject { key: key.to_owned() } } }
    }
}

pub async fn handle(
    store: &(impl TicketStore + OrderStore + PayoutStore + ChangeStore),
    files: &impl FileStore,
    event: ObjectCreated,
) -> Result<Checked> {
    let key = event.detail.object.key;
    let outcome = files::check(store, files, &key, Utc::now())
        .await
        .inspect_err(|error| tracing::error!(error = format!("{error:#}"), key, "checking a file failed"))?;
    tracing::info!(key, outcome = ?outcome, "file checked");
    Ok(outcome)
}
