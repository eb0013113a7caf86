//! Reads the outbound notifications queue (FIFO, per user): mails each notification to its
//! user's address, claimed in the inbox first (SES keeps no idempotency key), unless the
//! address is suppressed or the kind is not mailed.

use aws_adapters::{InboxTable, MailSender, UsersTable};
use chrono::Utc;
use domain::Result;
use domain::entities::Notification;
use domain::mail::{self, MailSettings};
use domain::ports::{Inbox, Mailer, UserStore};

pub type Config = (UsersTable, InboxTable, MailSender, MailSettings);

pub async fn handle(
    users: &impl UserStore,
    mailer: &impl Mailer,
    inbox: &impl Inbox,
    settings: &MailSettings,
    notification: Notification,
) -> Result<()> {
    mail::send(users, mailer, inbox, &notification, settings, Utc::now()).await.map(|_| ())
}
