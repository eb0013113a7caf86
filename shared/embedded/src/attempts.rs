//! Attempts at signing in and up, keyed by `AttemptKey`: reserved inside one write transaction, so
//! of concurrent reservations a window grants exactly its limit.

use chrono::{DateTime, Utc};
use domain::Result;
use domain::ports::{AttemptKey, AttemptWindow, Failures, Reserved, SignInAttempts};
use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use crate::store::{EmbeddedStore, SIGN_IN_FAILURES, decode, encode, storage};

#[derive(Debug, Serialize, Deserialize)]
struct Window {
    count: u32,
    since: DateTime<Utc>,
}

impl SignInAttempts for EmbeddedStore {
    async fn failures(&self, key: &AttemptKey, opened_after: DateTime<Utc>) -> Result<Option<Failures>> {
        let window: Option<Window> = self.get(SIGN_IN_FAILURES, key.as_str().to_owned()).await?;
        Ok(window
            .filter(|window| window.since > opened_after)
            .map(|window| Failures { count: window.count, since: window.since }))
    }

    async fn reserve(&self, key: &AttemptKey, window: AttemptWindow) -> Result<Reserved> {
        let AttemptWindow { now, opened_after, limit, .. } = window;
        let key = key.as_str().to_owned();
        self.write(move |txn| {
            let mut table = txn.open_table(SIGN_IN_FAILURES).map_err(storage)?;
            let current = table.get(key.as_str()).map_err(storage)?.map(|r| decode::<Window>(r.value())).transpose()?;
            let window = match current {
                Some(window) if window.since > opened_after && window.count >= limit => {
                    return Ok(Reserved::Refused(Failures { count: window.count, since: window.since }));
                }
                Some(window) if window.since > opened_after => Window { count: window.count + 1, ..window },
                _ => Window { count: 1, since: now },
            };
            table.insert(key.as_str(), encode(&window)?.as_slice()).map_err(storage)?;
            Ok(Reserved::Granted(Failures { count: window.count, since: window.since }))
        })
        .await
    }

    async fn clear(&self, key: &AttemptKey) -> Result<()> {
        let key = key.as_str().to_owned();
        self.write(move |txn| {
            txn.open_table(SIGN_IN_FAILURES).map_err(storage)?.remove(key.as_str()).map_err(storage)?;
            Ok(())
        })
        .await
    }
}
