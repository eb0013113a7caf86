//! Mail for local runs: what the mail sender sends is kept in the store (the runner shows it
//! at `/_local/mail`), and the notifications waiting for it are the outbound queue's
//! counterpart.

use chrono::{DateTime, Utc};
use domain::Result;
use domain::entities::Notification;
use domain::ports::{Mail, Mailer};
use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use crate::store::{EmbeddedStore, MAIL_QUEUE, MAILBOX, decode, encode, open_readable, storage};

/// A mail as it was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SentMail {
    #[serde(flatten)]
    pub mail: Mail,
    pub sent_at: DateTime<Utc>,
}

impl Mailer for EmbeddedStore {
    /// Keeps the mail; every call keeps one more, as SES sends one more.
    async fn send(&self, mail: &Mail) -> Result<()> {
        let sent = SentMail { mail: mail.clone(), sent_at: Utc::now() };
        let (key, record) = (ulid::Ulid::new().to_string(), encode(&sent)?);
        self.write(move |txn| {
            txn.open_table(MAILBOX).map_err(storage)?.insert(key.as_str(), record.as_slice()).map_err(storage)?;
            Ok(())
        })
        .await
    }
}

impl EmbeddedStore {
    /// The mail sent, newest first.
    pub async fn sent_mail(&self) -> Result<Vec<SentMail>> {
        self.read(|txn| {
            let Some(mailbox) = open_readable(txn, MAILBOX)? else { return Ok(Vec::new()) };
            let mut sent = Vec::new();
            for entry in mailbox.iter().map_err(storage)?.rev() {
                sent.push(decode(entry.map_err(storage)?.1.value())?);
            }
            Ok(sent)
        })
        .await
    }

    /// The notifications waiting for the mail sender, oldest first.
    pub async fn queued_mail(&self) -> Result<Vec<Notification>> {
        self.read(|txn| {
            let Some(queue) = open_readable(txn, MAIL_QUEUE)? else { return Ok(Vec::new()) };
            let mut queued: Vec<Notification> = Vec::new();
            for entry in queue.iter().map_err(storage)? {
                queued.push(decode(entry.map_err(storage)?.1.value())?);
            }
            queued.sort_by_key(|notification| notification.created_at);
            Ok(queued)
        })
        .await
    }

    /// The mail sender is done with notification `id`.
    pub async fn dequeue_mail(&self, id: &str) -> Result<()> {
        let id = id.to_owned();
        self.write(move |txn| {
            txn.open_table(MAIL_QUEUE).map_err(storage)?.remove(id.as_str()).map_err(storage)?;
            Ok(())
        })
        .await
    }
}
