//! Reads the outbound notifications queue (FIFO, per user): mails each notification to its
//! user's address, claimed in the inbox first (SES keeps no idempotency key), unless the
//! address is suppressed or the kind is not mailed. A password reset's mail carries a token
//! minted as it is sent.

use aws_adapters::{InboxTable, MailSender, UsersTable};
use chrono::Utc;
use domain::Result;
use domain::entities::Notification;
use domain::mail::{self, MailSettings};
use domain::ports::{Inbox, Mailer, Secrets, UserStore};

pub type Config = (UsersTable, InboxTable, MailSender, MailSettings);

/// `mailer` sends, and `secrets` mints a password reset's token.
pub async fn handle(
    users: &impl UserStore,
    mailer: (&impl Mailer, &impl Secrets),
    inbox: &impl Inbox,
    settings: &MailSettings,
    notification: Notification,
) -> Result<()> {
    mail::send(users, mailer, inbox, &notification, settings, Utc::now()).await.map(|_| ())
}
