//! Systematic interleavings of the operations that move an order's money. For every pair of
//! operations A and B, and for every point k before one of A's port calls (the store's reads
//! and commits, the inbox, and the payment gateway), A runs until that point, B runs to
//! completion there, then A goes on; A's own retries follow (an operation that failed runs
//! again, as the webhook's redelivery, the queue's retry or the buyer's click would), then
//! what the system does by itself at rest (Stripe's webhooks for what happened at the
//! gateway, the consumers of `order.cancelled`, the expiry). Then the invariants are
//! checked against the test gateway's ledger:
//! - a `complete` order has exactly one charge, succeeded and not refunded, for the amount it
//!   was placed at, and its ticket `sold` to it;
//! - an order that is neither `complete`, `refunded` nor `disputed` keeps no money: its
//!   charge is refunded, or its intent was never paid;
//! - no ticket is held by an order that is not open, and a sold ticket's order is paid;
//! - every refund in the ledger is recorded on its payment, and this service refunds only
//!   an order that could not complete (it ends `cancelled`): never a sale, even one that
//!   Stripe's later `charge.refunded` turns `refunded`;
//! - exactly one payout per order that completed, `net + fee` = what was charged less what
//!   went back, cancelled once all of it went back, held while disputed; at most one
//!   transfer per order; what the seller keeps of it (transfer less reversals) plus the fee
//!   is what was charged less what went back; a payout whose seller's account is enabled and
//!   that nothing holds is paid at rest;
//! - on a sale whose ticket had no file when ordered (`Start::Undelivered`), with the seller's
//!   upload and its check among the operations: a payout is held `awaiting_delivery` exactly
//!   while the ticket has no file, and nothing is transferred for a ticket without one; a
//!   complete sale with a file announces `ticket.delivered` once, and none without; the buyer
//!   can download the file exactly when the order is complete and it has one (a refund
//!   revokes it).
//!
//! Everything runs on the embedded store and the test gateway, with explicit times (no
//! waiting), so every interleaving is exact and repeatable.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use domain::change::{Change, Write};
use domain::entities::{
    AccountState, DisputeStatus, HoldReason, Holds, Intent, IntentRequest, IntentStatus, Order, OrderStatus, Payment,
    PaymentStatus, Payout, PayoutAccount, PayoutStatus, Reversal, Ticket, TicketDraft, TicketFilter, TicketStatus,
    TransferRequest,
};
use domain::entities::{FileDraft, FileType};
use domain::events::EventType;
use domain::files;
use domain::ids::{OrderId, TicketId, UserId};
use domain::money::Money;
use domain::page::{Page, PageRequest};
use domain::payments::{self, GatewayEvent, GatewayEventKind};
use domain::ports::{
    ChangeStore, Claim, Inbox, OrderStore, PaymentGateway, PaymentStore, PayoutGateway, PayoutStore, TicketStore,
};
use domain::ports::{FileStore, PresignedUpload, StoredFile, Upload};
use domain::{Result, expiration, orders, payouts, tickets};
use embedded::{EmbeddedStore, LocalFiles, SignedUpload, TestGateway};

type Later = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Counts the calls of the operation under test and runs the other operation before the
/// k-th one.
struct Hook {
    k: usize,
    calls: AtomicUsize,
    other: Mutex<Option<Later>>,
}

#[derive(Clone)]
struct Stepped<T> {
    inner: T,
    hook: Option<Arc<Hook>>,
}

impl<T> Stepped<T> {
    async fn point(&self) {
        let Some(hook) = &self.hook else { return };
        if hook.calls.fetch_add(1, Ordering::SeqCst) + 1 == hook.k {
            let other = hook.other.lock().expect("hook").take();
            if let Some(other) = other {
                other.await;
            }
        }
    }
}

impl TicketStore for Stepped<EmbeddedStore> {
    async fn get(&self, id: &TicketId) -> Result<Option<Ticket>> {
        self.point().await;
        TicketStore::get(&self.inner, id).await
    }

    async fn list(&self, filter: &TicketFilter, page: &PageRequest) -> Result<Page<Ticket>> {
        self.point().await;
        TicketStore::list(&self.inner, filter, page).await
    }

    async fn open_listings(&self, seller: &UserId, now: DateTime<Utc>, up_to: usize) -> Result<usize> {
        self.point().await;
        TicketStore::open_listings(&self.inner, seller, now, up_to).await
    }
}

impl OrderStore for Stepped<EmbeddedStore> {
    async fn get(&self, id: &OrderId) -> Result<Option<Order>> {
        self.point().await;
        OrderStore::get(&self.inner, id).await
    }

    async fn list(&self, buyer: &UserId, page: &PageRequest) -> Result<Page<Order>> {
        self.point().await;
        OrderStore::list(&self.inner, buyer, page).await
    }

    async fn overdue(&self, cutoff: DateTime<Utc>, limit: usize) -> Result<Vec<OrderId>> {
        self.point().await;
        self.inner.overdue(cutoff, limit).await
    }

    async fn holds(&self, buyer: &UserId) -> Result<Option<Holds>> {
        self.point().await;
        self.inner.holds(buyer).await
    }
}

impl PaymentStore for Stepped<EmbeddedStore> {
    async fn for_order(&self, order: &OrderId) -> Result<Option<Payment>> {
        self.point().await;
        self.inner.for_order(order).await
    }

    async fn by_intent(&self, intent_id: &str) -> Result<Option<Payment>> {
        self.point().await;
        self.inner.by_intent(intent_id).await
    }
}

impl PayoutStore for Stepped<EmbeddedStore> {
    async fn payout(&self, order: &OrderId) -> Result<Option<Payout>> {
        self.point().await;
        self.inner.payout(order).await
    }

    async fn payouts(&self, seller: &UserId, page: &PageRequest) -> Result<Page<Payout>> {
        self.point().await;
        self.inner.payouts(seller, page).await
    }

    async fn due(&self, cutoff: DateTime<Utc>, limit: usize) -> Result<Vec<Payout>> {
        self.point().await;
        self.inner.due(cutoff, limit).await
    }

    async fn account(&self, seller: &UserId) -> Result<Option<PayoutAccount>> {
        self.point().await;
        self.inner.account(seller).await
    }

    async fn account_by_id(&self, account_id: &str) -> Result<Option<PayoutAccount>> {
        self.point().await;
        self.inner.account_by_id(account_id).await
    }
}

impl ChangeStore for Stepped<EmbeddedStore> {
    async fn commit(&self, change: &Change) -> Result<()> {
        self.point().await;
        self.inner.commit(change).await
    }
}

impl Inbox for Stepped<EmbeddedStore> {
    async fn claim(&self, consumer: &str, id: &str, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<Claim> {
        self.point().await;
        self.inner.claim(consumer, id, now, until).await
    }

    async fn complete(&self, consumer: &str, id: &str) -> Result<()> {
        self.point().await;
        self.inner.complete(consumer, id).await
    }

    async fn release(&self, consumer: &str, id: &str) -> Result<()> {
        self.point().await;
        self.inner.release(consumer, id).await
    }
}

impl FileStore for Stepped<LocalFiles> {
    async fn upload_url(&self, upload: &Upload<'_>) -> Result<PresignedUpload> {
        self.point().await;
        self.inner.upload_url(upload).await
    }

    async fn download_url(&self, key: &str, file_name: &str, expires_in: std::time::Duration) -> Result<String> {
        self.point().await;
        self.inner.download_url(key, file_name, expires_in).await
    }

    async fn head(&self, key: &str, bytes: usize) -> Result<Option<StoredFile>> {
        self.point().await;
        self.inner.head(key, bytes).await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.point().await;
        self.inner.delete(key).await
    }
}

impl PayoutGateway for Stepped<TestGateway> {
    async fn create_account(&self, seller: &UserId) -> Result<String> {
        self.point().await;
        self.inner.create_account(seller).await
    }

    async fn account(&self, account: &str) -> Result<AccountState> {
        self.point().await;
        self.inner.account(account).await
    }

    async fn onboarding_link(&self, account: &str, return_url: &str, refresh_url: &str) -> Result<String> {
        self.point().await;
        self.inner.onboarding_link(account, return_url, refresh_url).await
    }

    async fn dashboard_link(&self, account: &str) -> Result<String> {
        self.point().await;
        self.inner.dashboard_link(account).await
    }

    async fn transfer(&self, request: &TransferRequest<'_>) -> Result<String> {
        self.point().await;
        self.inner.transfer(request).await
    }

    async fn transfer_of(&self, order: &str) -> Result<Option<String>> {
        self.point().await;
        self.inner.transfer_of(order).await
    }

    async fn reverse(&self, transfer: &str, amount: Money, key: &str) -> Result<Reversal> {
        self.point().await;
        self.inner.reverse(transfer, amount, key).await
    }

    async fn reversals_of(&self, transfer: &str) -> Result<Vec<Reversal>> {
        self.point().await;
        self.inner.reversals_of(transfer).await
    }
}

impl PaymentGateway for Stepped<TestGateway> {
    async fn create_intent(&self, request: &IntentRequest<'_>) -> Result<Intent> {
        self.point().await;
        self.inner.create_intent(request).await
    }

    async fn confirm(&self, intent_id: &str, payment_method: &str) -> Result<Intent> {
        self.point().await;
        self.inner.confirm(intent_id, payment_method).await
    }

    async fn get_intent(&self, intent_id: &str) -> Result<Intent> {
        self.point().await;
        self.inner.get_intent(intent_id).await
    }

    async fn refund(&self, intent_id: &str) -> Result<String> {
        self.point().await;
        self.inner.refund(intent_id).await
    }

    async fn refund_of(&self, intent_id: &str) -> Result<Option<String>> {
        self.point().await;
        self.inner.refund_of(intent_id).await
    }

    async fn cancel_intent(&self, intent_id: &str) -> Result<Intent> {
        self.point().await;
        self.inner.cancel_intent(intent_id).await
    }
}

/// One order of one listed ticket, its payment started for the browser; the times every
/// operation uses.
#[derive(Clone)]
struct World {
    store: EmbeddedStore,
    gateway: TestGateway,
    files: LocalFiles,
    ticket: Ticket,
    order: Order,
    intent: String,
    /// Within the reservation.
    now: DateTime<Utc>,
    /// Past the reservation: when its schedule fires, and when the seller may edit again.
    lapsed: DateTime<Utc>,
    /// When the sweep finds it overdue.
    swept: DateTime<Utc>,
    /// Past the payout's release.
    payday: DateTime<Utc>,
    /// A quarter of the charge was refunded in Stripe's dashboard.
    partly_refunded: Arc<AtomicBool>,
}

/// Where the operations start.
#[derive(Debug, Clone, Copy)]
enum Start {
    /// An order reserved, its payment started for the browser.
    Reserved,
    /// The order paid and complete, its payout scheduled; `onboarded`: its seller's payout
    /// account is enabled.
    Sold { onboarded: bool },
    /// As `Reserved`, for a ticket that has no file yet; its seller's payout account enabled.
    Undelivered,
}

impl World {
    /// The order paid in one step, its seller's payout account enabled: a sale waiting for
    /// its payout's release.
    async fn at(start: Start) -> World {
        let w = World::new(!matches!(start, Start::Undelivered)).await;
        if let Start::Undelivered = start {
            Op::Onboard.run(&w, &w.ports(None)).await.unwrap();
        }
        let Start::Sold { onboarded } = start else { return w };
        let paid = payments::pay(&w.store, &w.gateway, &w.order.user_id, w.order.id.as_str(), None, w.now);
        paid.await.unwrap();
        w.gateway.complete_in_browser_at(&w.intent, w.now).unwrap();
        deliver_success(&w, &w.ports(None)).await.unwrap();
        if onboarded {
            Op::Onboard.run(&w, &w.ports(None)).await.unwrap();
        }
        w
    }

    /// A ticket ordered, its payment started for the browser; `with_file`: the ticket has
    /// its file.
    async fn new(with_file: bool) -> World {
        let (store, gateway) = (EmbeddedStore::in_memory(), TestGateway::new());
        let files = LocalFiles::new(store.clone(), "http://127.0.0.1:9");
        let mut ticket = domain::testing::orders::listed(&store).await;
        if !with_file {
            ticket = Ticket { file: None, version: ticket.version + 1, ..ticket };
            store.commit(&Change { tickets: vec![Write::Update(ticket.clone())], ..Change::default() }).await.unwrap();
        }
        let now = Utc::now();
        let placed = now - Duration::minutes(14);
        let limit = orders::ReservationLimit(3);
        let timeout = std::time::Duration::from_secs(15 * 60);
        let order =
            orders::place(&store, UserId::from("buyer"), ticket.id.as_str(), timeout, limit, placed).await.unwrap();
        let started = payments::pay(&store, &gateway, &order.user_id, order.id.as_str(), None, now).await.unwrap();
        let payments::Outcome::Started(payment) = started else { panic!("{started:?}") };
        let lapsed = order.expires_at + Duration::seconds(1);
        World {
            store,
            gateway,
            files,
            ticket,
            order,
            intent: payment.stripe_id,
            now,
            lapsed,
            swept: lapsed + expiration::SWEEP_GRACE + Duration::seconds(1),
            payday: now + Duration::days(30),
            partly_refunded: Arc::new(AtomicBool::new(false)),
        }
    }

    fn ports(&self, hook: Option<Arc<Hook>>) -> Ports {
        Ports {
            store: Stepped { inner: self.store.clone(), hook: hook.clone() },
            gateway: Stepped { inner: self.gateway.clone(), hook: hook.clone() },
            files: Stepped { inner: self.files.clone(), hook },
        }
    }

    async fn intent(&self) -> Intent {
        self.gateway.get_intent(&self.intent).await.unwrap()
    }
}

struct Ports {
    store: Stepped<EmbeddedStore>,
    gateway: Stepped<TestGateway>,
    files: Stepped<LocalFiles>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// `POST /api/payments` with a card.
    PayInOneStep,
    /// Stripe.js confirms the intent in the browser, then Stripe's webhook reports it.
    ConfirmInBrowserThenWebhook,
    /// Stripe.js confirms the intent in the browser, then the browser asks
    /// `POST /api/payments` again to record it.
    ConfirmInBrowserThenAskAgain,
    /// Stripe delivers the success of a succeeded intent (again).
    WebhookRedelivery,
    /// Someone refunds the charge in Stripe's dashboard; Stripe reports it.
    DashboardRefund,
    /// Someone refunds a quarter of the charge in Stripe's dashboard; Stripe reports it.
    PartialRefund,
    /// The buyer's bank disputes the charge and wins.
    DisputeLost,
    /// The buyer's bank disputes the charge and loses.
    DisputeWon,
    /// The buyer's bank disputes the charge and has not decided.
    DisputeOpened,
    /// The buyer cancels; the consumer of `order.cancelled` follows.
    Cancel,
    /// The order's schedule fires; the consumer of `order.cancelled` follows.
    ExpirationBySchedule,
    /// The sweep finds the order overdue; the consumer of `order.cancelled` follows.
    ExpirationBySweep,
    /// The seller reprices the ticket once its reservation lapsed.
    SellerEdit,
    /// The payout's schedule fires, past its release.
    Release,
    /// The seller finishes onboarding their payout account; the provider reports it.
    Onboard,
    /// The buyer reports a problem with the complete order ("ticket not received").
    ReportProblem,
    /// The seller asks to upload the ticket's file, the browser stores it, and the check
    /// that S3's event invokes runs.
    AttachFile,
}

const OPS: [Op; 12] = [
    Op::PayInOneStep,
    Op::ConfirmInBrowserThenWebhook,
    Op::ConfirmInBrowserThenAskAgain,
    Op::WebhookRedelivery,
    Op::DashboardRefund,
    Op::DisputeLost,
    Op::Cancel,
    Op::ExpirationBySchedule,
    Op::ExpirationBySweep,
    Op::SellerEdit,
    Op::Release,
    Op::Onboard,
];

/// What can happen to a sale waiting for its payout.
const SALE_OPS: [Op; 9] = [
    Op::Release,
    Op::DashboardRefund,
    Op::PartialRefund,
    Op::DisputeLost,
    Op::DisputeWon,
    Op::DisputeOpened,
    Op::WebhookRedelivery,
    Op::Onboard,
    Op::ReportProblem,
];

/// What can happen to a sale whose ticket has no file yet: it is paid, disputed, refunded or
/// released while the seller uploads the file.
const DELIVERY_OPS: [Op; 9] = [
    Op::PayInOneStep,
    Op::ConfirmInBrowserThenWebhook,
    Op::ConfirmInBrowserThenAskAgain,
    Op::WebhookRedelivery,
    Op::AttachFile,
    Op::Release,
    Op::DashboardRefund,
    Op::DisputeOpened,
    Op::Cancel,
];

/// The ticket's file.
const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n";

/// The seller's browser PUTs the file to the upload URL with the headers it came with.
async fn put_as_signed(w: &World, upload: &PresignedUpload) -> Result<String> {
    let (path, query) = upload.url.split_once('?').expect("a query");
    let key = path.split(embedded::FILES_PATH).nth(1).expect("a file path").trim_start_matches('/').to_owned();
    let param = |name: &str| query.split('&').find_map(|pair| pair.strip_prefix(&format!("{name}="))).expect("signed");
    let signed = SignedUpload {
        expires: param("expires").parse().expect("a time"),
        signature: param("signature"),
        content_type: &upload.headers["content-type"],
        tagging: &upload.headers["x-amz-tagging"],
    };
    let stored = w.files.accept_upload(&key, &signed, PDF.to_vec(), Utc::now().timestamp()).await?;
    stored.expect("an upload as signed is stored");
    Ok(key)
}

/// Stripe's report that the intent succeeded (one event id: a second is a redelivery).
async fn deliver_success(w: &World, p: &Ports) -> Result<()> {
    let intent = w.intent().await;
    if intent.status != IntentStatus::Succeeded {
        return Ok(()); // Stripe reports only what happened.
    }
    let kind = GatewayEventKind::IntentSucceeded {
        order: w.order.id.clone(),
        intent: intent.id.clone(),
        amount: Money::from_minor(intent.amount),
        currency: intent.currency.clone(),
        livemode: intent.livemode,
        at: intent.succeeded_at.unwrap_or(w.now),
    };
    let event = GatewayEvent { id: "evt_success".into(), kind };
    payments::handle_gateway_event(&p.store, &p.gateway, &p.store, &event, w.now).await.map(drop)
}

/// Stripe's report of the charge's refund, if there is one.
async fn deliver_refund(w: &World, p: &Ports) -> Result<()> {
    let Some(refund) = w.gateway.refund_of(&w.intent).await? else { return Ok(()) };
    let kind = GatewayEventKind::ChargeRefunded {
        intent: w.intent.clone(),
        refund: Some(refund.clone()),
        amount_refunded: w.order.ticket.price,
        full: true,
    };
    let event = GatewayEvent { id: format!("evt_{refund}"), kind };
    payments::handle_gateway_event(&p.store, &p.gateway, &p.store, &event, w.now).await.map(drop)
}

/// What the charge's partial refund leaves of `amount`.
fn left_after_partial_refund(w: &World, amount: i64) -> i64 {
    if w.partly_refunded.load(Ordering::SeqCst) { amount - amount / 4 } else { amount }
}

/// Stripe's report of the charge's partial refund, if there was one.
async fn deliver_partial_refund(w: &World, p: &Ports) -> Result<()> {
    if !w.partly_refunded.load(Ordering::SeqCst) {
        return Ok(());
    }
    let price = w.order.ticket.price.minor();
    let kind = GatewayEventKind::ChargeRefunded {
        intent: w.intent.clone(),
        refund: Some("re_partial".into()),
        amount_refunded: Money::from_minor(price - left_after_partial_refund(w, price)),
        full: false,
    };
    let event = GatewayEvent { id: "evt_partial_refund".into(), kind };
    payments::handle_gateway_event(&p.store, &p.gateway, &p.store, &event, w.now).await.map(drop)
}

/// The buyer's bank disputes the charge (if there is one), and decides `won` (`None`: not yet).
async fn dispute(w: &World, p: &Ports, won: Option<bool>) -> Result<()> {
    if w.intent().await.status != IntentStatus::Succeeded {
        return Ok(());
    }
    let opened = GatewayEventKind::DisputeOpened { intent: w.intent.clone(), dispute: "dp_1".into() };
    let mut events = vec![("evt_dispute_opened", opened)];
    if let Some(won) = won {
        let closed = GatewayEventKind::DisputeClosed { intent: w.intent.clone(), dispute: "dp_1".into(), won };
        events.push(("evt_dispute_closed", closed));
    }
    for (id, kind) in events {
        let event = GatewayEvent { id: id.into(), kind };
        payments::handle_gateway_event(&p.store, &p.gateway, &p.store, &event, w.now).await?;
    }
    Ok(())
}

/// The consumer of `order.cancelled`, once the order is cancelled.
async fn after_cancellation(w: &World, p: &Ports) -> Result<()> {
    let order = OrderStore::get(&w.store, &w.order.id).await?.expect("the order");
    if order.status == OrderStatus::Cancelled {
        payments::cancel_unpaid(&p.store, &p.gateway, &w.order.id, w.now).await?;
    }
    Ok(())
}

impl Op {
    async fn run(self, w: &World, p: &Ports) -> Result<()> {
        let (buyer, order) = (&w.order.user_id, w.order.id.as_str());
        match self {
            Op::PayInOneStep => {
                payments::pay(&p.store, &p.gateway, buyer, order, Some("pm_card_visa"), w.now).await.map(drop)
            }
            Op::ConfirmInBrowserThenWebhook => {
                if w.gateway.complete_in_browser_at(&w.intent, w.now).is_err() {
                    return Ok(()); // Stripe.js cannot pay a cancelled intent.
                }
                deliver_success(w, p).await
            }
            Op::ConfirmInBrowserThenAskAgain => {
                if w.gateway.complete_in_browser_at(&w.intent, w.now).is_err() {
                    return Ok(()); // Stripe.js cannot pay a cancelled intent.
                }
                payments::pay(&p.store, &p.gateway, buyer, order, None, w.now).await.map(drop)
            }
            Op::WebhookRedelivery => deliver_success(w, p).await,
            Op::DashboardRefund => {
                if w.gateway.refund_from_dashboard(&w.intent).is_err() {
                    return Ok(()); // Nothing to refund.
                }
                deliver_refund(w, p).await
            }
            Op::PartialRefund => {
                let paid = w.intent().await.status == IntentStatus::Succeeded;
                if !paid || w.gateway.refund_of(&w.intent).await?.is_some() {
                    return Ok(()); // Nothing to refund.
                }
                w.partly_refunded.store(true, Ordering::SeqCst);
                deliver_partial_refund(w, p).await
            }
            Op::DisputeLost => dispute(w, p, Some(false)).await,
            Op::DisputeWon => dispute(w, p, Some(true)).await,
            Op::DisputeOpened => dispute(w, p, None).await,
            Op::Cancel => match orders::cancel(&p.store, buyer, order, w.now).await {
                Ok(()) => after_cancellation(w, p).await,
                Err(domain::Error::Conflict(_)) => Ok(()), // Paid or refunded: it cannot be.
                Err(other) => Err(other),
            },
            Op::ExpirationBySchedule => {
                expiration::expire(&p.store, &p.gateway, &w.order.id, w.lapsed).await?;
                after_cancellation(w, p).await
            }
            Op::ExpirationBySweep => {
                expiration::sweep(&p.store, &p.gateway, w.swept).await?;
                after_cancellation(w, p).await
            }
            Op::SellerEdit => {
                let draft = TicketDraft {
                    title: w.ticket.title.clone(),
                    price: Money::from_minor(w.ticket.price.minor() * 2),
                    date: w.ticket.date,
                    venue: w.ticket.venue.clone(),
                };
                match tickets::update(&p.store, &w.ticket.user_id, w.ticket.id.as_str(), draft, w.lapsed).await {
                    Ok(_) | Err(domain::Error::Conflict(_)) => Ok(()), // Sold or held: not editable.
                    Err(other) => Err(other),
                }
            }
            Op::ReportProblem => match payouts::report(&p.store, buyer, order, "Not received".into(), w.now).await {
                Ok(_) | Err(domain::Error::Conflict(_)) => Ok(()), // Not complete, or paid out already.
                Err(other) => Err(other),
            },
            Op::Release => payouts::release(&p.store, &p.gateway, &w.order.id, w.payday).await.map(drop),
            Op::AttachFile => {
                let draft =
                    FileDraft { name: "ticket.pdf".into(), content_type: FileType::Pdf, size: PDF.len() as u64 };
                let seller = &w.ticket.user_id;
                let upload =
                    match files::request_upload(&p.store, &p.files, seller, w.ticket.id.as_str(), draft, w.now).await {
                        Ok(upload) => upload,
                        Err(domain::Error::Conflict(_)) => return Ok(()), // Sold with a file, or changed meanwhile.
                        Err(other) => return Err(other),
                    };
                let key = put_as_signed(w, &upload).await?;
                files::check(&p.store, &p.files, &key, w.now).await.map(drop)
            }
            Op::Onboard => {
                let account = p.gateway.create_account(&w.ticket.user_id).await?;
                if w.store.account(&w.ticket.user_id).await?.is_none() {
                    let opened = PayoutAccount::open(w.ticket.user_id.clone(), account.clone(), w.now);
                    let change = Change { accounts: vec![Write::Insert(opened)], ..Change::default() };
                    match p.store.commit(&change).await {
                        Ok(()) | Err(domain::Error::Conflict(_)) => {}
                        Err(other) => return Err(other),
                    }
                }
                w.gateway.complete_onboarding(&account)?;
                payouts::updated(&p.store, &p.gateway, &account, true, w.payday).await.map(drop)
            }
        }
    }
}

/// What the system does by itself until nothing changes: Stripe's webhooks for what
/// happened at the gateway (it retries until acknowledged), the consumer of
/// `order.cancelled`, the expiry (its schedule always fires; the sweep backs it up).
async fn settle_at_rest(w: &World) {
    let p = w.ports(None);
    for _ in 0..3 {
        deliver_success(w, &p).await.unwrap();
        deliver_partial_refund(w, &p).await.unwrap();
        deliver_refund(w, &p).await.unwrap();
        expiration::expire(&p.store, &p.gateway, &w.order.id, w.swept).await.unwrap();
        after_cancellation(w, &p).await.unwrap();
        payouts::sweep(&p.store, &p.gateway, w.payday).await.unwrap();
    }
}

/// The invariants at rest; what broke, if anything.
async fn broken(w: &World) -> Vec<String> {
    let order = OrderStore::get(&w.store, &w.order.id).await.unwrap().unwrap();
    let ticket = TicketStore::get(&w.store, &w.ticket.id).await.unwrap().unwrap();
    let payment = w.store.for_order(&w.order.id).await.unwrap().unwrap();
    let charges: Vec<_> = w.gateway.ledger().into_iter().filter(|(o, ..)| *o == w.order.id.as_str()).collect();
    let mut broken = Vec::new();
    let [(_, intent, refunded)] = charges.as_slice() else {
        return vec![format!("{} intents for one order", charges.len())];
    };
    let charged = intent.status == IntentStatus::Succeeded;
    match order.status {
        OrderStatus::Complete => {
            if !charged || *refunded {
                broken.push(format!("complete, its charge {:?} refunded {refunded}", intent.status));
            }
            if intent.amount != order.ticket.price.minor() {
                broken.push(format!("complete for {} charged {}", order.ticket.price, intent.amount));
            }
            if !(ticket.status == TicketStatus::Sold && ticket.order_id.as_ref() == Some(&order.id)) {
                broken.push(format!("complete, its ticket {:?}", ticket.status));
            }
            if payment.status != PaymentStatus::Succeeded {
                broken.push(format!("complete, its payment {:?}", payment.status));
            }
        }
        OrderStatus::Refunded | OrderStatus::Disputed => {}
        status => {
            if charged && !*refunded {
                broken.push(format!("{status:?} keeps the buyer's money"));
            }
        }
    }
    if ticket.status == TicketStatus::Reserved && ticket.order_id.as_ref() == Some(&order.id) && !order.is_open() {
        broken.push(format!("{:?} order still holds its ticket", order.status));
    }
    if ticket.status == TicketStatus::Sold
        && ticket.order_id.as_ref() == Some(&order.id)
        && !matches!(order.status, OrderStatus::Complete | OrderStatus::Refunded | OrderStatus::Disputed)
    {
        broken.push(format!("ticket sold to a {:?} order", order.status));
    }
    if w.gateway.refunded_by_service(&w.intent) && order.status != OrderStatus::Cancelled {
        broken.push(format!("this service refunded the charge of a {:?} order", order.status));
    }
    if *refunded && payment.status != PaymentStatus::Refunded {
        broken.push(format!("refunded at the gateway, recorded {:?}", payment.status));
    }
    // A lost dispute took the money back through the bank, not as a refund.
    let lost = payment.dispute.as_ref().is_some_and(|dispute| dispute.status == DisputeStatus::Lost);
    let payout = w.store.payout(&order.id).await.unwrap();
    let left = left_after_partial_refund(w, intent.amount);
    let due = if charged && !(*refunded || lost) { left } else { 0 };
    broken.extend(broken_delivery(w, &order, &ticket, payout.as_ref()).await);
    broken.extend(broken_transfers(w, &order, payout.as_ref(), due).await);
    broken.extend(broken_payout(&order, payout, charged, *refunded || lost, left));
    broken
}

/// The delivery invariants: a payout waits for the file exactly while the ticket has none,
/// nothing is transferred for a ticket without it, a complete sale with a file is announced
/// delivered once (and none without), and the buyer can download exactly a complete order's
/// file.
async fn broken_delivery(w: &World, order: &Order, ticket: &Ticket, payout: Option<&Payout>) -> Vec<String> {
    let mut broken = Vec::new();
    let has_file = ticket.file.is_some();
    if let Some(payout) = payout
        && payout.is_before_release()
        && payout.held_for.contains(&HoldReason::AwaitingDelivery) == has_file
    {
        broken.push(format!("file {has_file}, its payout {:?} for {:?}", payout.status, payout.held_for));
    }
    let transferred = w.gateway.transfers().iter().any(|transfer| transfer.order == order.id.as_str());
    if transferred && !has_file {
        broken.push("a transfer for a ticket never delivered".to_owned());
    }
    let events = w.store.outbox_pending(usize::MAX).await.unwrap();
    let delivered = events.iter().filter(|event| event.kind == EventType::TicketDelivered).count();
    // A sale refunded before its file came was never delivered; one refunded after was, once.
    let sold = matches!(order.status, OrderStatus::Complete | OrderStatus::Disputed)
        && ticket.order_id.as_ref() == Some(&order.id);
    let expected = if order.status == OrderStatus::Refunded { delivered.min(1) } else { usize::from(sold && has_file) };
    if delivered != expected {
        broken.push(format!("{delivered} ticket.delivered for a {:?} order, file {has_file}", order.status));
    }
    let download = files::buyer_download(&w.store, &w.files, &order.user_id, order.id.as_str()).await;
    if download.is_ok() != (order.status == OrderStatus::Complete && has_file) {
        broken.push(format!("the buyer of a {:?} order, file {has_file}, downloads: {download:?}", order.status));
    }
    broken
}

/// The transfer invariants: at most one transfer per order, and what the seller keeps of it
/// plus the fee is the sale as it stands (`due`); a payout that nothing holds is paid at rest.
async fn broken_transfers(w: &World, order: &Order, payout: Option<&Payout>, due: i64) -> Vec<String> {
    let transfers: Vec<_> = w.gateway.transfers().into_iter().filter(|t| t.order == order.id.as_str()).collect();
    let mut broken = Vec::new();
    if transfers.len() > 1 {
        broken.push(format!("{} transfers for one order", transfers.len()));
    }
    if order.has_open_problem() && !transfers.is_empty() {
        broken.push("a transfer while the buyer's problem is open".to_owned());
    }
    let Some(payout) = payout else {
        if !transfers.is_empty() {
            broken.push("a transfer without a payout".to_owned());
        }
        return broken;
    };
    if let Some(transfer) = transfers.first() {
        let kept = transfer.amount.minor() - transfer.reversals.iter().map(|(_, amount)| amount.minor()).sum::<i64>();
        if kept + payout.fee.minor() != due || payout.loss.minor() != 0 {
            broken.push(format!("the seller keeps {kept} + fee {} for a sale of {due}", payout.fee));
        }
    }
    let enabled = w.store.account(&payout.seller).await.unwrap().is_some_and(|account| account.payouts_enabled);
    let releasable = payout.held_for.is_empty() || (enabled && payout.held_for == [HoldReason::NoAccount]);
    if matches!(payout.status, PayoutStatus::Scheduled | PayoutStatus::Releasing | PayoutStatus::Reversing)
        || (payout.status == PayoutStatus::Held && releasable)
    {
        broken.push(format!(
            "at rest the payout is {:?} for {:?} (account enabled: {enabled})",
            payout.status, payout.held_for
        ));
    }
    if payout.held_for.contains(&HoldReason::NoAccount) && enabled {
        broken.push("held for want of an account the seller has".to_owned());
    }
    broken
}

/// The payout invariants: exactly one payout per order that completed, whose numbers are
/// the sale as it stands (net + fee = what was charged less what went back, `gone`), cancelled once
/// all of it went back, held while disputed before its release.
fn broken_payout(order: &Order, payout: Option<Payout>, charged: bool, gone: bool, amount: i64) -> Vec<String> {
    let Some(payout) = payout else {
        return match order.status {
            OrderStatus::Complete | OrderStatus::Disputed => vec![format!("{:?} order without a payout", order.status)],
            _ => Vec::new(),
        };
    };
    let mut broken = Vec::new();
    if !matches!(order.status, OrderStatus::Complete | OrderStatus::Disputed | OrderStatus::Refunded) {
        broken.push(format!("a payout for a {:?} order", order.status));
    }
    let due = if charged && !gone { amount } else { 0 };
    if payout.amount.minor() != due || payout.net.minor() + payout.fee.minor() != due || payout.fee > payout.amount {
        broken.push(format!("payout {} = {} + {} for a sale of {due}", payout.amount, payout.net, payout.fee));
    }
    // All of it back: cancelled before release, reversed after it (the transfer's own check
    // tells that the seller kept nothing).
    let ended = matches!(payout.status, PayoutStatus::Cancelled | PayoutStatus::Reversed);
    if (due == 0 && !ended) || (due != 0 && payout.status == PayoutStatus::Cancelled) {
        broken.push(format!("payout {:?} for a sale of {due}", payout.status));
    }
    if order.status == OrderStatus::Complete
        && order.has_open_problem()
        && !payout.held_for.contains(&HoldReason::Problem)
    {
        broken.push(format!("a problem is open, its payout {:?} for {:?}", payout.status, payout.held_for));
    }
    // A dispute holds what is not transferred yet; one that comes after the transfer is
    // reversed if lost.
    if order.status == OrderStatus::Disputed
        && payout.transferred.is_zero()
        && !payout.held_for.contains(&HoldReason::Dispute)
    {
        broken.push(format!("disputed, its payout {:?} for {:?}", payout.status, payout.held_for));
    }
    broken
}

/// How many port calls `op` makes when it runs alone on a fresh world.
async fn calls_of(op: Op, start: Start) -> usize {
    let w = World::at(start).await;
    let hook = Arc::new(Hook { k: usize::MAX, calls: AtomicUsize::new(0), other: Mutex::new(None) });
    let _ = op.run(&w, &w.ports(Some(hook.clone()))).await;
    hook.calls.load(Ordering::SeqCst)
}

/// A runs, B runs to completion before A's k-th port call, A's retries, the system at rest;
/// what broke.
async fn interleave(a: Op, b: Op, k: usize, start: Start) -> Vec<String> {
    let w = World::at(start).await;
    let (other_world, other) = (w.clone(), b);
    let later: Later = Box::pin(async move {
        let _ = other.run(&other_world, &other_world.ports(None)).await;
    });
    let hook = Arc::new(Hook { k, calls: AtomicUsize::new(0), other: Mutex::new(Some(later)) });
    let mut outcome = a.run(&w, &w.ports(Some(hook))).await;
    for _ in 0..2 {
        if outcome.is_ok() {
            break;
        }
        outcome = a.run(&w, &w.ports(None)).await;
    }
    settle_at_rest(&w).await;
    broken(&w).await
}

/// Every pair of `ops` at every call point of the first, each on a fresh world from
/// `start`; what broke, and how many interleavings ran.
async fn every_pair(ops: &[Op], start: Start) -> (usize, Vec<String>) {
    let mut runs = 0;
    let mut failures = Vec::new();
    for &a in ops {
        let points = calls_of(a, start).await;
        for &b in ops {
            // Before each of A's calls, and after its last.
            for k in 1..=points + 1 {
                runs += 1;
                let broken = interleave(a, b, k, start).await;
                if !broken.is_empty() {
                    failures.push(format!("{a:?} with {b:?} before call {k} of {points}: {}", broken.join("; ")));
                }
            }
        }
    }
    println!(
        "{start:?}: {runs} interleavings ({} pairs of operations x the call points of the first)",
        ops.len() * ops.len()
    );
    assert!(runs > ops.len() * ops.len(), "each pair ran at more than one point");
    (runs, failures)
}

/// Fails with every interleaving that broke an invariant, if any did.
fn none_broke((runs, failures): (usize, Vec<String>)) {
    assert!(
        failures.is_empty(),
        "{} of {runs} interleavings broke an invariant:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_pair_of_money_operations_at_every_call_point_keeps_the_money_invariants() {
    none_broke(every_pair(&OPS, Start::Reserved).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_pair_of_operations_on_a_sale_at_every_call_point_keeps_the_payout_invariants() {
    none_broke(every_pair(&SALE_OPS, Start::Sold { onboarded: true }).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_pair_of_operations_on_a_sale_whose_file_comes_late_keeps_the_delivery_invariants() {
    none_broke(every_pair(&DELIVERY_OPS, Start::Undelivered).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_pair_of_operations_on_a_sale_of_a_seller_not_onboarded_keeps_the_payout_invariants() {
    none_broke(every_pair(&SALE_OPS, Start::Sold { onboarded: false }).await);
}
