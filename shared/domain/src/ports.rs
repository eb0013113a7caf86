//! Ports: one small trait per capability. A use case asks only for the ports it uses;
//! every adapter of a port passes the same conformance suite (`testing`).

use std::future::Future;

use chrono::{DateTime, Utc};

use crate::change::Change;
use crate::entities::{
    AccountState, Email, Holds, Intent, IntentRequest, MailSuppression, Notification, Order, Password, PasswordHash,
    Payment, Payout, PayoutAccount, Redemption, Reversal, StoredToken, Ticket, TicketFilter, TokenPurpose,
    TransferRequest, User,
};
use crate::error::Result;
use crate::events::Event;
use crate::ids::{OrderId, TicketId, UserId};
use crate::money::Money;
use crate::page::{Page, PageRequest};

pub trait UserStore: Send + Sync {
    /// Stores a new user with the events that announce it (in the outbox, in the same atomic
    /// write). An email already in use (compared lower-cased) is `Conflict("Email in use")`,
    /// decided atomically by the store; a retried insert that had committed is a success.
    fn insert(&self, user: &User, events: &[Event]) -> impl Future<Output = Result<()>> + Send;

    fn find_by_email(&self, email: &Email) -> impl Future<Output = Result<Option<User>>> + Send;

    /// Raises the session generation of the account `email` names, if it is `user`'s, by one,
    /// atomically (of concurrent calls, each counts), and returns the new generation;
    /// `Unauthorized` when there is no such account.
    fn end_sessions(&self, email: &Email, user: &UserId) -> impl Future<Output = Result<u32>> + Send;

    /// The account `id` names, read strongly consistent.
    fn find_by_id(&self, id: &UserId) -> impl Future<Output = Result<Option<User>>> + Send;

    /// Marks the account of `email`, if there is one, as not to be mailed again; an address
    /// already suppressed keeps its first reason. Whether an account was found.
    fn suppress_mail(&self, email: &Email, suppression: &MailSuppression) -> impl Future<Output = Result<bool>> + Send;

    /// Stores `token` as the account's token for `purpose` (of `email`), in place of any
    /// earlier one. Whether there is such an account.
    fn put_token(
        &self,
        email: &Email,
        purpose: TokenPurpose,
        token: &StoredToken,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Redeems the account's token for the redemption's purpose whose hash is `hash`, if it
    /// is its current one and works at `now`: in one atomic write the token is gone and the
    /// redemption applied ([`User::redeem`]: a new password and every session issued before
    /// ended, or the address verified). Of concurrent redemptions one wins. Whether it did.
    fn redeem_token(
        &self,
        email: &Email,
        redemption: &Redemption,
        hash: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;
}

/// Secrets for single-use links: each new one unguessable, and the hash that is stored in its
/// place.
pub trait Secrets: Send + Sync {
    /// A new secret, safe in a URL.
    fn mint(&self) -> Result<String>;

    /// What is stored of `secret` (and compared): it cannot be turned back into the secret.
    fn hash(&self, secret: &str) -> String;
}

/// A mail as it is sent: to one address, a subject, a text part and an HTML part.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Mail {
    /// The notification it tells of (several mails may tell of one, if a send is retried).
    pub id: String,
    pub to: Email,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Sends mail. The provider keeps no idempotency key: each call may send one message, so
/// callers claim what they send first ([`crate::mail`]).
pub trait Mailer: Send + Sync {
    fn send(&self, mail: &Mail) -> impl Future<Output = Result<()>> + Send;
}

/// What an attempt is counted under: an email, an email from one client address, or the
/// sign-ups from one address ([`crate::users`] makes them).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttemptKey(pub(crate) String);

impl AttemptKey {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where [`SignInAttempts::reserve`] counts an attempt made at `now`: in a window that opened
/// after `opened_after`, up to `limit` attempts; a record that may be forgotten after
/// `forget_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptWindow {
    pub now: DateTime<Utc>,
    pub opened_after: DateTime<Utc>,
    pub forget_at: DateTime<Utc>,
    pub limit: u32,
}

impl AttemptWindow {
    /// At `now`, windows `length` long that count `limit` attempts each.
    pub fn at(now: DateTime<Utc>, length: chrono::Duration, limit: u32) -> Self {
        Self { now, opened_after: now - length, forget_at: now + length, limit }
    }
}

/// Attempts at signing in (failures) and signing up, per [`AttemptKey`], counted in fixed
/// windows that open with a first attempt.
pub trait SignInAttempts: Send + Sync {
    /// The attempts under `key` in its window, if a window opened after `opened_after`.
    fn failures(
        &self,
        key: &AttemptKey,
        opened_after: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<Failures>>> + Send;

    /// Reserves an attempt under `key`, counted until it is given back (by
    /// [`SignInAttempts::clear`]): in `key`'s window if one opened after the window's
    /// `opened_after` and it counts fewer than its `limit`, else `Refused` with nothing
    /// counted; with no window, or an old one, in a new window opened at its `now`. The
    /// record may be forgotten after its `forget_at`. Decided atomically: of concurrent
    /// reservations, a window grants its `limit`.
    fn reserve(&self, key: &AttemptKey, window: AttemptWindow) -> impl Future<Output = Result<Reserved>> + Send;

    /// Forgets the attempts under `key`.
    fn clear(&self, key: &AttemptKey) -> impl Future<Output = Result<()>> + Send;
}

/// What reserving a sign-in attempt gave: the window as it now counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reserved {
    Granted(Failures),
    /// The window counts its limit already: nothing was counted.
    Refused(Failures),
}

/// Failed sign-ins of one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    pub count: u32,
    /// When the window opened: its first failure.
    pub since: DateTime<Utc>,
}

/// Hashes and verifies passwords (slow on purpose, so never on the async threads).
pub trait PasswordHasher: Send + Sync {
    fn hash(&self, password: Password) -> impl Future<Output = Result<PasswordHash>> + Send;

    /// Whether `candidate` matches `hash`. With no hash (no such account) it costs what a
    /// real verification costs, and is false.
    fn verify(&self, candidate: Password, hash: Option<PasswordHash>) -> impl Future<Output = Result<bool>> + Send;
}

/// Private storage of ticket files: the bytes go straight between the browser and the
/// storage through short-lived signed URLs, never through a function.
pub trait FileStore: Send + Sync {
    /// A URL the seller's browser PUTs exactly the file `upload` describes to, with exactly
    /// the returned headers, until its `expires_in` from now; the signature covers the key,
    /// the type, the size and the file's retention, so the storage refuses any other.
    fn upload_url(&self, upload: &Upload<'_>) -> impl Future<Output = Result<PresignedUpload>> + Send;

    /// A URL that downloads the file under `key` as `file_name`, until `expires_in` from now.
    fn download_url(
        &self,
        key: &str,
        file_name: &str,
        expires_in: std::time::Duration,
    ) -> impl Future<Output = Result<String>> + Send;

    /// The stored file's size and its first `bytes` bytes (`None`: nothing under `key`).
    fn head(&self, key: &str, bytes: usize) -> impl Future<Output = Result<Option<StoredFile>>> + Send;

    /// Removes the file under `key` (nothing there is no error).
    fn delete(&self, key: &str) -> impl Future<Output = Result<()>> + Send;
}

/// The one file an upload URL lets through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload<'a> {
    pub key: &'a str,
    pub content_type: &'a str,
    /// Its exact size in bytes.
    pub size: u64,
    /// How long the storage keeps it after the upload: one of
    /// [`crate::files::RETENTION_DAYS`].
    pub keep_days: u32,
    /// How long the URL lasts.
    pub expires_in: std::time::Duration,
}

/// Where and how to upload a file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PresignedUpload {
    /// PUT the bytes here.
    pub url: String,
    /// With exactly these headers (their values are signed).
    pub headers: std::collections::BTreeMap<String, String>,
}

/// What the storage holds under a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub size: u64,
    /// Its first bytes, as many as asked (fewer for a shorter file).
    pub head: Vec<u8>,
}

/// Reads tickets. Every write goes through [`ChangeStore`].
pub trait TicketStore: Send + Sync {
    /// A strongly consistent read.
    fn get(&self, id: &TicketId) -> impl Future<Output = Result<Option<Ticket>>> + Send;

    /// Newest first, `page.limit` at most, after the ticket `page.after`. A page may hold
    /// fewer than `page.limit` tickets and still name a next one: an adapter reads a bounded
    /// number of candidates per page, however many of them the filter drops.
    fn list(&self, filter: &TicketFilter, page: &PageRequest) -> impl Future<Output = Result<Page<Ticket>>> + Send;

    /// How many of `seller`'s tickets are open listings (not sold, for an event after `now`
    /// or undated), counting up to `up_to` at most (reads no more than that many).
    fn open_listings(
        &self,
        seller: &UserId,
        now: DateTime<Utc>,
        up_to: usize,
    ) -> impl Future<Output = Result<usize>> + Send;
}

/// The index the public listing reads, where a store keeps one (a ticket enters it when
/// written while listed): tickets whose event has passed are taken out of it, so that a
/// listing does not read them.
pub trait ListingIndex: Send + Sync {
    /// Takes out of the index up to `limit` tickets whose event was at or before `now`;
    /// returns how many it took out.
    fn unlist_past(&self, now: DateTime<Utc>, limit: usize) -> impl Future<Output = Result<usize>> + Send;
}

/// Reads orders.
pub trait OrderStore: Send + Sync {
    /// A strongly consistent read.
    fn get(&self, id: &OrderId) -> impl Future<Output = Result<Option<Order>>> + Send;

    /// A buyer's orders, newest first.
    fn list(&self, buyer: &UserId, page: &PageRequest) -> impl Future<Output = Result<Page<Order>>> + Send;

    /// The ids of the open orders whose reservation lapsed before `cutoff`, soonest first,
    /// `limit` at most: what the sweep expires, each read again as it is expired.
    fn overdue(&self, cutoff: DateTime<Utc>, limit: usize) -> impl Future<Output = Result<Vec<OrderId>>> + Send;

    /// The reservations `buyer` holds, read strongly consistent (`None`: never placed one).
    fn holds(&self, buyer: &UserId) -> impl Future<Output = Result<Option<Holds>>> + Send;
}

/// Reads payments: at most one per order.
pub trait PaymentStore: Send + Sync {
    /// The order's payment, read strongly consistent.
    fn for_order(&self, order: &OrderId) -> impl Future<Output = Result<Option<Payment>>> + Send;

    /// The payment of a PaymentIntent.
    fn by_intent(&self, intent_id: &str) -> impl Future<Output = Result<Option<Payment>>> + Send;
}

/// Reads payouts: at most one per order.
pub trait PayoutStore: Send + Sync {
    /// The order's payout, read strongly consistent.
    fn payout(&self, order: &OrderId) -> impl Future<Output = Result<Option<Payout>>> + Send;

    /// A seller's payouts, newest order first.
    fn payouts(&self, seller: &UserId, page: &PageRequest) -> impl Future<Output = Result<Page<Payout>>> + Send;

    /// Payouts with work due before `cutoff`: scheduled ones whose release time has come, and
    /// claimed transfers or reversals not finished; soonest first, `limit` at most.
    fn due(&self, cutoff: DateTime<Utc>, limit: usize) -> impl Future<Output = Result<Vec<Payout>>> + Send;

    /// The seller's payout account, read strongly consistent.
    fn account(&self, seller: &UserId) -> impl Future<Output = Result<Option<PayoutAccount>>> + Send;

    /// The payout account with the provider's id `account_id`.
    fn account_by_id(&self, account_id: &str) -> impl Future<Output = Result<Option<PayoutAccount>>> + Send;
}

/// Commits [`Change`]s: every write at the version it expects, with its events (the
/// outbox), all or nothing. Any version that differs is `Conflict` and changes nothing.
pub trait ChangeStore: Send + Sync {
    fn commit(&self, change: &Change) -> impl Future<Output = Result<()>> + Send;
}

/// Keeps what can never be processed (a record that does not decode) for a person to see,
/// so that it neither blocks what follows nor is lost.
pub trait DeadLetters: Send + Sync {
    fn park(&self, reason: &str, body: &str) -> impl Future<Output = Result<()>> + Send;
}

/// Publishes domain events to the bus. Either every event is accepted or the call fails
/// (a caller retries the whole batch; consumers deduplicate by event id).
pub trait EventPublisher: Send + Sync {
    fn publish(&self, events: &[Event]) -> impl Future<Output = Result<()>> + Send;
}

/// Who processes which event, by event id, per consumer: claims, decided atomically by the
/// store, so that of two concurrent deliveries of one event exactly one runs its effect.
pub trait Inbox: Send + Sync {
    /// Claims `event_id` for `consumer` until `lease_until`: `Acquired` when it was never
    /// claimed, or claimed but never completed and the lease has run out (its claimer
    /// crashed); `Done` once completed; `Busy` while another claim is live.
    fn claim(
        &self,
        consumer: &str,
        event_id: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> impl Future<Output = Result<Claim>> + Send;

    /// The claimed event was processed: every later claim is `Done`.
    fn complete(&self, consumer: &str, event_id: &str) -> impl Future<Output = Result<()>> + Send;

    /// The claimed event was not processed: it may be claimed again at once.
    fn release(&self, consumer: &str, event_id: &str) -> impl Future<Output = Result<()>> + Send;
}

/// What claiming an event gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    Acquired,
    Done,
    Busy,
}

/// One-shot schedules that run an order's expiry at its `expires_at`.
pub trait ExpirationScheduler: Send + Sync {
    /// Schedules the expiry of `order` at `at`; scheduling it again is harmless.
    fn schedule(&self, order: &OrderId, at: DateTime<Utc>) -> impl Future<Output = Result<()>> + Send;

    /// Removes the schedule; a missing one is not an error.
    fn cancel(&self, order: &OrderId) -> impl Future<Output = Result<()>> + Send;
}

/// One-shot schedules that release payouts (EventBridge Scheduler's, or the local runner's).
pub trait ReleaseScheduler: Send + Sync {
    /// Schedules the release of `order`'s payout at `at`; scheduling it again is harmless.
    fn schedule_release(&self, order: &OrderId, at: DateTime<Utc>) -> impl Future<Output = Result<()>> + Send;
}

/// Per-user notifications, newest first. Adding one twice (same id) keeps one.
pub trait NotificationStore: Send + Sync {
    fn add(&self, notification: &Notification) -> impl Future<Output = Result<()>> + Send;

    fn list(&self, user: &UserId, page: &PageRequest) -> impl Future<Output = Result<Page<Notification>>> + Send;
}

/// Hands a notification to the delivery integration (email, SMS): once per notification id,
/// however often it is sent.
pub trait NotificationSender: Send + Sync {
    fn send(&self, notification: &Notification) -> impl Future<Output = Result<()>> + Send;
}

/// The payment provider (Stripe).
pub trait PaymentGateway: Send + Sync {
    /// The order's one PaymentIntent: asking again returns the same one (idempotency key).
    fn create_intent(&self, request: &IntentRequest<'_>) -> impl Future<Output = Result<Intent>> + Send;

    /// Confirms the intent with `payment_method` (a PaymentMethod id such as `pm_card_visa`,
    /// or a card token such as `tok_visa`). A declined card is `PaymentDeclined` with the
    /// provider's message, and the intent can be confirmed again with another card.
    fn confirm(&self, intent_id: &str, payment_method: &str) -> impl Future<Output = Result<Intent>> + Send;

    fn get_intent(&self, intent_id: &str) -> impl Future<Output = Result<Intent>> + Send;

    /// Refunds a succeeded intent in full, once (asking again returns the same refund id).
    fn refund(&self, intent_id: &str) -> impl Future<Output = Result<String>> + Send;

    /// The refund the intent already has, if any: what a claim older than the gateway keeps
    /// idempotency keys looks up before it refunds.
    fn refund_of(&self, intent_id: &str) -> impl Future<Output = Result<Option<String>>> + Send;

    /// Cancels an unpaid intent so that it can no longer be paid, once (asking again gives
    /// the same answer). Returns the intent as it stands: `Canceled`, or `Succeeded` (or
    /// `Processing`) when a payment came first.
    fn cancel_intent(&self, intent_id: &str) -> impl Future<Output = Result<Intent>> + Send;
}

/// The payout side of the provider (Stripe Connect): sellers' payout accounts, the transfers
/// of their share, and reversals of those.
pub trait PayoutGateway: Send + Sync {
    /// The seller's payout account, created once: asking again returns the same one
    /// (idempotency key derived from the seller).
    fn create_account(&self, seller: &UserId) -> impl Future<Output = Result<String>> + Send;

    fn account(&self, account: &str) -> impl Future<Output = Result<AccountState>> + Send;

    /// A fresh link to the provider's onboarding of `account`, which sends the seller back
    /// to `return_url` when done (to `refresh_url` when the link has expired).
    fn onboarding_link(
        &self,
        account: &str,
        return_url: &str,
        refresh_url: &str,
    ) -> impl Future<Output = Result<String>> + Send;

    /// A link to the account's own dashboard at the provider.
    fn dashboard_link(&self, account: &str) -> impl Future<Output = Result<String>> + Send;

    /// Transfers a seller's share, once per order (asking again returns the same transfer).
    fn transfer(&self, request: &TransferRequest<'_>) -> impl Future<Output = Result<String>> + Send;

    /// The transfer made for `order`, if any: what a claim older than the provider keeps
    /// idempotency keys looks up before it transfers.
    fn transfer_of(&self, order: &str) -> impl Future<Output = Result<Option<String>>> + Send;

    /// Takes back `amount` of `transfer`, once per `key`; what the account could not cover
    /// is not taken back (the reversal says how much was).
    fn reverse(&self, transfer: &str, amount: Money, key: &str) -> impl Future<Output = Result<Reversal>> + Send;

    /// The reversals of `transfer` so far, oldest first.
    fn reversals_of(&self, transfer: &str) -> impl Future<Output = Result<Vec<Reversal>>> + Send;
}

/// The provider's own record of what happened to payments (Stripe's events), read to apply
/// what its webhook failed to deliver.
pub trait GatewayEvents: Send + Sync {
    /// What happened since `since`, oldest first, in the webhook's terms.
    fn since(&self, since: DateTime<Utc>) -> impl Future<Output = Result<Vec<crate::entities::GatewayEvent>>> + Send;
}

/// Every store a payment use case reads or writes.
pub trait Store: TicketStore + OrderStore + PaymentStore + PayoutStore + ChangeStore {}

impl<S: TicketStore + OrderStore + PaymentStore + PayoutStore + ChangeStore> Store for S {}

/// A set of stores that live apart (one per table) gathered into one value: each field serves its
/// port, and `()` stands for a port a function does not use, so using it does not compile.
#[derive(Debug, Clone, Default)]
pub struct StoreSet<T = (), O = (), P = (), C = (), U = ()> {
    pub tickets: T,
    pub orders: O,
    pub payments: P,
    pub changes: C,
    pub payouts: U,
}

impl<T: TicketStore, O: Send + Sync, P: Send + Sync, C: Send + Sync, U: Send + Sync> TicketStore
    for StoreSet<T, O, P, C, U>
{
    fn get(&self, id: &TicketId) -> impl Future<Output = Result<Option<Ticket>>> + Send {
        self.tickets.get(id)
    }

    fn open_listings(
        &self,
        seller: &UserId,
        now: DateTime<Utc>,
        up_to: usize,
    ) -> impl Future<Output = Result<usize>> + Send {
        self.tickets.open_listings(seller, now, up_to)
    }

    fn list(&self, filter: &TicketFilter, page: &PageRequest) -> impl Future<Output = Result<Page<Ticket>>> + Send {
        self.tickets.list(filter, page)
    }
}

impl<T: Send + Sync, O: OrderStore, P: Send + Sync, C: Send + Sync, U: Send + Sync> OrderStore
    for StoreSet<T, O, P, C, U>
{
    fn get(&self, id: &OrderId) -> impl Future<Output = Result<Option<Order>>> + Send {
        self.orders.get(id)
    }

    fn list(&self, buyer: &UserId, page: &PageRequest) -> impl Future<Output = Result<Page<Order>>> + Send {
        self.orders.list(buyer, page)
    }

    fn overdue(&self, cutoff: DateTime<Utc>, limit: usize) -> impl Future<Output = Result<Vec<OrderId>>> + Send {
        self.orders.overdue(cutoff, limit)
    }

    fn holds(&self, buyer: &UserId) -> impl Future<Output = Result<Option<Holds>>> + Send {
        self.orders.holds(buyer)
    }
}

impl<T: Send + Sync, O: Send + Sync, P: PaymentStore, C: Send + Sync, U: Send + Sync> PaymentStore
    for StoreSet<T, O, P, C, U>
{
    fn for_order(&self, order: &OrderId) -> impl Future<Output = Result<Option<Payment>>> + Send {
        self.payments.for_order(order)
    }

    fn by_intent(&self, intent_id: &str) -> impl Future<Output = Result<Option<Payment>>> + Send {
        self.payments.by_intent(intent_id)
    }
}

impl<T: Send + Sync, O: Send + Sync, P: Send + Sync, C: ChangeStore, U: Send + Sync> ChangeStore
    for StoreSet<T, O, P, C, U>
{
    fn commit(&self, change: &Change) -> impl Future<Output = Result<()>> + Send {
        self.changes.commit(change)
    }
}

impl<T: Send + Sync, O: Send + Sync, P: Send + Sync, C: Send + Sync, U: PayoutStore> PayoutStore
    for StoreSet<T, O, P, C, U>
{
    fn payout(&self, order: &OrderId) -> impl Future<Output = Result<Option<Payout>>> + Send {
        self.payouts.payout(order)
    }

    fn payouts(&self, seller: &UserId, page: &PageRequest) -> impl Future<Output = Result<Page<Payout>>> + Send {
        self.payouts.payouts(seller, page)
    }

    fn due(&self, cutoff: DateTime<Utc>, limit: usize) -> impl Future<Output = Result<Vec<Payout>>> + Send {
        self.payouts.due(cutoff, limit)
    }

    fn account(&self, seller: &UserId) -> impl Future<Output = Result<Option<PayoutAccount>>> + Send {
        self.payouts.account(seller)
    }

    fn account_by_id(&self, account_id: &str) -> impl Future<Output = Result<Option<PayoutAccount>>> + Send {
        self.payouts.account_by_id(account_id)
    }
}
