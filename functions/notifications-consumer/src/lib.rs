//! Consumes order and payment events from its SQS queue, once per event: records the
//! notification each calls for and sends it to the outbound queue (a new reservation's only
//! when `MAIL_RESERVATIONS` is `true`).

use aws_adapters::{InboxTable, NotificationsQueue, NotificationsTable};
use chrono::Utc;
use domain::Result;
use domain::events::Event;
use domain::mail::MailReservations;
use domain::notifications;
use domain::ports::{Inbox, NotificationSender, NotificationStore};

pub type Config = (NotificationsTable, NotificationsQueue, InboxTable, MailReservations);

pub async fn handle(
    ports: (&impl NotificationStore, &impl NotificationSender, &impl Inbox),
    reservations: MailReservations,
    event: Event,
) -> Result<()> {
    notifications::notify(ports, reservations, &event, Utc::now()).await
}
