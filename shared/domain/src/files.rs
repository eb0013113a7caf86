//! Delivering the ticket: the seller's file goes straight to private storage through a
//! signed upload URL, is checked there (its size and first bytes against what was declared)
//! before the ticket shows it, and is downloaded through short-lived signed URLs by the
//! seller and, once the sale is complete, its buyer alone.
//!
//! A sale completed without a file holds its payout (`awaiting_delivery`) until the file
//! arrives; the change that attaches the file to a complete sale takes that hold off and
//! announces `ticket.delivered`, as the change that completes a sale with a file does.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::change::{Change, Write};
use crate::entities::{
    FileDraft, HEAD_BYTES, HoldReason, Order, OrderStatus, PendingUpload, Ticket, TicketStatus, ticket_of_key,
};
use crate::error::{Error, Result};
use crate::events::{Event, EventType};
use crate::ids::{OrderId, TicketId, UserId};
use crate::ports::{ChangeStore, FileStore, OrderStore, PayoutStore, PresignedUpload, TicketStore, Upload};
use crate::tickets;

/// How long an upload URL lasts.
pub const UPLOAD_EXPIRY: Duration = Duration::from_secs(15 * 60);
/// How long a download URL lasts.
pub const DOWNLOAD_EXPIRY: Duration = Duration::from_secs(5 * 60);

/// How long a file is kept after its upload, in days: the storage's lifecycle rules, one
/// per value of the file's [`RETENTION_TAG`], delete it then.
pub const RETENTION_DAYS: [u32; 4] = [30, 90, 180, 400];
/// The tag that says which lifecycle rule deletes a file.
pub const RETENTION_TAG: &str = "expire-after-days";
/// The header an upload carries its tags in (signed, as its type and size are).
pub const RETENTION_TAG_HEADER: &str = "x-amz-tagging";
/// How long after its event a ticket's file is kept (the buyer may still need it at the door
/// late, and a problem report may come in the following days).
const AFTER_EVENT_DAYS: i64 = 14;

/// How long to keep a file uploaded at `now` for `ticket`: the shortest retention that lasts
/// until [`AFTER_EVENT_DAYS`] after its event; the longest for a ticket without a date.
pub fn retention_days(ticket: &Ticket, now: DateTime<Utc>) -> u32 {
    let longest = RETENTION_DAYS[RETENTION_DAYS.len() - 1];
    let Some(date) = ticket.date else { return longest };
    let needed = (date - now).num_days() + AFTER_EVENT_DAYS + 1;
    RETENTION_DAYS.into_iter().find(|&days| i64::from(days) >= needed).unwrap_or(longest)
}

const NO_FILE: Error = Error::NotFound("The ticket has no file yet");

/// The data of `ticket.delivered`: whose ticket is ready, for which order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryEventData {
    pub order_id: OrderId,
    /// The buyer.
    pub user_id: UserId,
    pub ticket_id: TicketId,
    pub title: String,
    /// The ticket's version.
    pub version: u64,
}

/// `ticket.delivered` for `order`, which bought `ticket` (sold, with its file).
pub fn delivered(ticket: &Ticket, order: &Order, now: DateTime<Utc>) -> Result<Event> {
    let data = DeliveryEventData {
        order_id: order.id.clone(),
        user_id: order.user_id.clone(),
        ticket_id: ticket.id.clone(),
        title: ticket.title.clone(),
        version: ticket.version,
    };
    Event::new(EventType::TicketDelivered, ticket.version, &data, now)
}

/// The `Content-Disposition` a download is served with: saved as `file_name`, given as
/// ASCII (quotes and backslashes dropped, anything else `_`) and in full (RFC 8187).
pub fn disposition(file_name: &str) -> String {
    let ascii: String = file_name
        .chars()
        .filter(|c| !matches!(c, '"' | '\\'))
        .map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '_' })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", crate::encoding::percent_encode(file_name))
}

/// Whether a file may be attached to `ticket` at `now`: until it is sold, or, sold without
/// one, until its event.
fn may_attach(ticket: &Ticket, now: DateTime<Utc>) -> std::result::Result<(), &'static str> {
    match ticket.status {
        TicketStatus::Sold if ticket.file.is_some() => {
            Err("The ticket is sold with its file: the file can no longer be replaced")
        }
        TicketStatus::Sold if ticket.is_past(now) => Err("The event has taken place: the file can no longer be added"),
        _ => Ok(()),
    }
}

impl Upload<'_> {
    /// The retention as the storage reads it: the object's tag `expire-after-days=<days>`.
    pub fn tagging(&self) -> String {
        format!("{}={}", RETENTION_TAG, self.keep_days)
    }
}

/// The seller asks to upload `draft` for their ticket `id`: a signed URL for exactly that
/// file, valid [`UPLOAD_EXPIRY`]. The ticket shows the file once its bytes pass [`check`].
pub async fn request_upload(
    store: &(impl TicketStore + ChangeStore),
    files: &impl FileStore,
    user: &UserId,
    id: &str,
    draft: FileDraft,
    now: DateTime<Utc>,
) -> Result<PresignedUpload> {
    let ticket = tickets::owned(store, user, id).await?;
    may_attach(&ticket, now).map_err(Error::Conflict)?;
    let expires_at = now + chrono::Duration::from_std(UPLOAD_EXPIRY).unwrap_or_default();
    let upload = PendingUpload::new(&ticket.id, draft, expires_at);
    let url = files
        .upload_url(&Upload {
            key: &upload.key,
            content_type: upload.content_type.content_type(),
            size: upload.size,
            keep_days: retention_days(&ticket, now),
            expires_in: UPLOAD_EXPIRY,
        })
        .await?;
    let awaiting = ticket.awaiting(upload);
    tickets::commit(store, &Change { tickets: vec![Write::Update(awaiting)], ..Change::default() }).await?;
    Ok(url)
}

/// What the check made of a stored file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// It is the ticket's file now.
    Attached,
    /// It was deleted, for this reason.
    Rejected(&'static str),
    /// Nothing to do: already attached, or no longer stored.
    Unchanged,
}

/// Checks the file stored under `key` against the upload the seller declared: the ticket
/// shows it only if its size is the declared one and its first bytes are of the declared
/// type; anything else under a ticket's keys is deleted. Attaching it to a complete sale
/// takes the payout's `awaiting_delivery` hold off and announces `ticket.delivered` in the
/// same change. Repeatable: a redelivered notice of the same file changes nothing.
pub async fn check(
    store: &(impl TicketStore + OrderStore + PayoutStore + ChangeStore),
    files: &impl FileStore,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Checked> {
    for _ in 0..3 {
        match check_once(store, files, key, now).await {
            Err(Error::Conflict(_)) => continue,
            other => return other,
        }
    }
    Err(Error::Internal(anyhow::anyhow!("checking the file {key} kept conflicting")))
}

async fn check_once(
    store: &(impl TicketStore + OrderStore + PayoutStore + ChangeStore),
    files: &impl FileStore,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Checked> {
    let reject = |reason: &'static str| async move {
        files.delete(key).await?;
        tracing::warn!(key, reason, "a stored ticket file was rejected and deleted");
        Ok(Checked::Rejected(reason))
    };
    let Some(ticket) = (match ticket_of_key(key) {
        Some(id) => TicketStore::get(store, &id).await?,
        None => None,
    }) else {
        return reject("no such ticket").await;
    };
    if ticket.file.as_ref().is_some_and(|file| file.key == key) {
        return Ok(Checked::Unchanged);
    }
    let Some(upload) = ticket.upload.clone().filter(|upload| upload.key == key) else {
        return reject("no upload is pending under this key").await;
    };
    let Some(stored) = files.head(key, HEAD_BYTES).await? else { return Ok(Checked::Unchanged) };
    let verdict = if stored.size != upload.size {
        Err("the stored size is not the declared one")
    } else if !upload.content_type.starts(&stored.head) {
        Err("the bytes are not of the declared type")
    } else {
        may_attach(&ticket, now)
    };
    if let Err(reason) = verdict {
        let outcome = reject(reason).await?;
        // The object is gone whatever happens next: the ticket forgets the upload.
        let failed = ticket.upload_failed();
        store.commit(&Change { tickets: vec![Write::Update(failed)], ..Change::default() }).await?;
        return Ok(outcome);
    }
    let attached = ticket.attach(upload.checked(now));
    let mut change = Change { tickets: vec![Write::Update(attached.clone())], ..Change::default() };
    if let (TicketStatus::Sold, Some(order_id)) = (attached.status, &attached.order_id)
        && let Some(order) = OrderStore::get(store, order_id).await?
        && order.status == OrderStatus::Complete
    {
        change.events.push(delivered(&attached, &order, now)?);
        if let Some(payout) = store.payout(order_id).await?
            && payout.held_for.contains(&HoldReason::AwaitingDelivery)
        {
            change.payouts.push(Write::Update(payout.unhold(HoldReason::AwaitingDelivery)));
        }
    }
    store.commit(&change).await?;
    if let Some(replaced) = ticket.file.as_ref().filter(|file| file.key != key)
        && let Err(error) = files.delete(&replaced.key).await
    {
        // The storage's lifecycle rule removes it in time.
        tracing::warn!(key = %replaced.key, error = format!("{error:#}"), "deleting a replaced ticket file failed");
    }
    tracing::info!(ticket = %attached.id, key, "a ticket file passed the check");
    Ok(Checked::Attached)
}

/// The seller downloads their ticket's file: a URL valid [`DOWNLOAD_EXPIRY`].
pub async fn seller_download(
    store: &impl TicketStore,
    files: &impl FileStore,
    user: &UserId,
    id: &str,
) -> Result<String> {
    let file = tickets::owned(store, user, id).await?.file.ok_or(NO_FILE)?;
    files.download_url(&file.key, &file.name, DOWNLOAD_EXPIRY).await
}

/// The buyer downloads the ticket of their complete order (a refunded order's buyer no
/// longer can): a URL valid [`DOWNLOAD_EXPIRY`].
pub async fn buyer_download(
    store: &(impl TicketStore + OrderStore),
    files: &impl FileStore,
    user: &UserId,
    order_id: &str,
) -> Result<String> {
    let order = crate::orders::get_own(store, user, order_id).await?;
    if order.status != OrderStatus::Complete {
        return Err(Error::Forbidden("The ticket is delivered once the order is complete"));
    }
    let ticket = TicketStore::get(store, &order.ticket.id).await?.filter(|ticket| ticket.order_id == Some(order.id));
    let file =
        ticket.and_then(|ticket| ticket.file).ok_or(Error::NotFound("The seller has not uploaded the ticket yet"))?;
    files.download_url(&file.key, &file.name, DOWNLOAD_EXPIRY).await
}

/// Whether `viewer` may see `ticket`'s file: its seller, or the buyer of its complete sale.
pub async fn shows_file_to(store: &impl OrderStore, ticket: &Ticket, viewer: Option<&UserId>) -> Result<bool> {
    let Some(viewer) = viewer else { return Ok(false) };
    if &ticket.user_id == viewer {
        return Ok(true);
    }
    let (TicketStatus::Sold, Some(order_id)) = (ticket.status, &ticket.order_id) else { return Ok(false) };
    let order = store.get(order_id).await?;
    Ok(order.is_some_and(|order| &order.user_id == viewer && order.status == OrderStatus::Complete))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::TicketDraft;
    use crate::money::Money;

    #[test]
    fn the_download_is_saved_under_the_file_name() {
        assert_eq!(
            disposition("Row 5 \"VIP\" ü.pdf"),
            "attachment; filename=\"Row 5 VIP _.pdf\"; filename*=UTF-8''Row%205%20%22VIP%22%20%C3%BC.pdf"
        );
    }

    #[test]
    fn a_file_is_kept_until_some_days_after_its_event() {
        let now: DateTime<Utc> = "2026-12-01T00:00:00Z".parse().unwrap();
        let ticket = |date: Option<&str>| {
            let draft = TicketDraft {
                title: "Gig".into(),
                price: Money::from_minor(100),
                date: date.map(|d| d.parse().unwrap()),
                venue: None,
            };
            Ticket::list(UserId::from("seller"), draft, Default::default(), now)
        };
        assert_eq!(retention_days(&ticket(Some("2026-12-02T20:00:00Z")), now), 30);
        assert_eq!(retention_days(&ticket(Some("2027-01-20T20:00:00Z")), now), 90);
        assert_eq!(retention_days(&ticket(Some("2027-05-01T20:00:00Z")), now), 180);
        assert_eq!(retention_days(&ticket(Some("2029-01-01T20:00:00Z")), now), 400, "the longest");
        assert_eq!(retention_days(&ticket(None), now), 400, "no date");
    }
}
