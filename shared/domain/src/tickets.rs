//! Selling tickets: the rules for creating, editing, deleting and listing them.

use chrono::{DateTime, Utc};

use crate::change::{Change, Write};
use crate::entities::{PayoutTerms, Ticket, TicketDraft, TicketFilter, TicketStatus};
use crate::error::{Error, Result};
use crate::events::EventType;
use crate::ids::{TicketId, UserId};
use crate::page::{Page, PageRequest};
use crate::ports::{ChangeStore, ListingIndex, TicketStore};

const NOT_FOUND: Error = Error::NotFound("Ticket not found");
const CHANGED: Error = Error::Conflict("Ticket was changed by another request");

/// How many open listings (unsold, for an event to come) a seller may hold at once:
/// `MAX_OPEN_LISTINGS`, 200 by default. Without a cap, one account could fill the listing
/// with tens of thousands of tickets. Counted before the listing is written, so concurrent
/// listings may pass it by their number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListingCap(pub usize);

impl Default for ListingCap {
    fn default() -> Self {
        Self(200)
    }
}

impl crate::config::FromEnv for ListingCap {
    fn from_env(env: &crate::config::Env) -> Result<Self, crate::config::ConfigError> {
        let cap = env.count("MAX_OPEN_LISTINGS", Self::default().0.try_into().unwrap_or(u32::MAX))?;
        Ok(Self(cap as usize))
    }
}

const TOO_MANY_LISTINGS: &str =
    "You have as many tickets listed as a seller may: sell or remove some before listing more";

/// Lists a new ticket for `seller`, to be paid out on `terms` (those in force now).
pub async fn create(
    store: &(impl TicketStore + ChangeStore),
    seller: UserId,
    draft: TicketDraft,
    (terms, cap): (PayoutTerms, ListingCap),
    now: DateTime<Utc>,
) -> Result<Ticket> {
    if store.open_listings(&seller, now, cap.0).await? >= cap.0 {
        return Err(Error::Conflict(TOO_MANY_LISTINGS));
    }
    let ticket = Ticket::list(seller, draft, terms, now);
    let change = Change {
        events: vec![ticket.event(EventType::TicketCreated, now)?],
        tickets: vec![Write::Insert(ticket.clone())],
        ..Change::default()
    };
    store.commit(&change).await?;
    Ok(ticket)
}

/// The ticket as stored.
pub async fn get(store: &impl TicketStore, id: &str) -> Result<Ticket> {
    let id = TicketId::parse(id).ok_or(NOT_FOUND)?;
    store.get(&id).await?.ok_or(NOT_FOUND)
}

/// The ticket as anyone sees it at `now` (a lapsed reservation reads available).
pub async fn show(store: &impl TicketStore, id: &str, now: DateTime<Utc>) -> Result<Ticket> {
    Ok(get(store, id).await?.effective(now))
}

/// The ticket `user` sells, as stored: 404 when there is none, 403 when it is someone else's.
pub async fn owned(store: &impl TicketStore, user: &UserId, id: &str) -> Result<Ticket> {
    let ticket = get(store, id).await?;
    if &ticket.user_id != user {
        return Err(Error::Forbidden("You do not own this ticket"));
    }
    Ok(ticket)
}

/// The ticket `user` may change at `now`: it exists, is theirs, and is neither sold nor
/// held by a live reservation. Returns it as stored.
async fn editable(store: &impl TicketStore, user: &UserId, id: &str, now: DateTime<Utc>) -> Result<Ticket> {
    let ticket = owned(store, user, id).await?;
    if ticket.effective(now).status != TicketStatus::Available {
        return Err(Error::Conflict("Cannot edit a reserved ticket"));
    }
    Ok(ticket)
}

/// Replaces the seller's fields. The write is conditional on the version read, so a
/// concurrent edit or reservation makes this one fail with a conflict.
pub async fn update(
    store: &(impl TicketStore + ChangeStore),
    user: &UserId,
    id: &str,
    draft: TicketDraft,
    now: DateTime<Utc>,
) -> Result<Ticket> {
    // A lapsed reservation is let go: the ticket is the seller's again.
    let edited = editable(store, user, id, now).await?.effective(now).edit(draft);
    let change = Change {
        events: vec![edited.event(EventType::TicketUpdated, now)?],
        tickets: vec![Write::Update(edited.clone())],
        ..Change::default()
    };
    commit(store, &change).await?;
    Ok(edited)
}

/// Removes the seller's ticket; its `ticket.deleted` event carries the next version.
pub async fn delete(
    store: &(impl TicketStore + ChangeStore),
    user: &UserId,
    id: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let current = editable(store, user, id, now).await?;
    let gone = Ticket { version: current.version + 1, ..current.clone() };
    let change = Change {
        events: vec![gone.event(EventType::TicketDeleted, now)?],
        tickets: vec![Write::Delete(current)],
        ..Change::default()
    };
    commit(store, &change).await
}

/// Commits a change of tickets; a conflict says the ticket changed meanwhile.
pub(crate) async fn commit(store: &impl ChangeStore, change: &Change) -> Result<()> {
    store.commit(change).await.map_err(|error| match error {
        Error::Conflict(_) => CHANGED,
        other => other,
    })
}

/// Newest first, each as anyone sees it at `now`.
pub async fn list(
    store: &impl TicketStore,
    filter: &TicketFilter,
    page: &PageRequest,
    now: DateTime<Utc>,
) -> Result<Page<Ticket>> {
    let found = store.list(filter, page).await?;
    Ok(Page { items: found.items.into_iter().map(|ticket| ticket.effective(now)).collect(), next: found.next })
}

/// How many past-dated tickets one sweep takes out of the listing's index at most.
pub const UNLIST_PER_SWEEP: usize = 1000;

/// Takes tickets whose event has passed out of the listing's index (a sweep's work).
pub async fn unlist_past(index: &impl ListingIndex, now: DateTime<Utc>) -> Result<usize> {
    index.unlist_past(now, UNLIST_PER_SWEEP).await
}
