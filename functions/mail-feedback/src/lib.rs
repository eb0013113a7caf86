//! SES's bounces and complaints, through the configuration set's SNS topic: a permanent
//! bounce or a complaint marks the address as not to be mailed again (the mail sender checks
//! it). Repeatable: an address keeps its first reason.

use aws_adapters::UsersTable;
use aws_adapters::ses_feedback::{self, SnsEvent};
use chrono::Utc;
use domain::Result;
use domain::mail;
use domain::ports::UserStore;

pub type Config = (UsersTable,);

/// How many of the reported addresses are accounts'.
pub async fn handle(users: &impl UserStore, event: SnsEvent) -> Result<usize> {
    let mut suppressed = 0;
    for (address, reason) in ses_feedback::suppressions(&event)? {
        suppressed += usize::from(mail::suppress(users, &address, reason, Utc::now()).await?);
    }
    Ok(suppressed)
}
