//! What happens when things arrive late, twice, or never: each test stands for a way the
//! system once lost or stranded something, on the embedded adapters with no background
//! loops, so that nothing runs but what the test runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::change::{Change, Write};
use domain::entities::{Notification, Order, OrderStatus, PaymentStatus, Ticket, TicketStatus};
use domain::events::EventType;
use domain::expiration::{self, Expiration};
use domain::ids::UserId;
use domain::mail::MailReservations;
use domain::payments::{self, GatewayEvent, GatewayEventKind};
use domain::ports::{ChangeStore, ExpirationScheduler, NotificationSender, OrderStore, PaymentStore, TicketStore};
use domain::{Result, orders};
use embedded::{EmbeddedStore, TestGateway};
use lambda_http::RequestExt;
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(15 * 60);
const LIMIT: orders::ReservationLimit = orders::ReservationLimit(3);

async fn listed(store: &EmbeddedStore) -> Ticket {
    domain::testing::orders::listed(store).await
}

/// An order of `ticket` placed `ago` (its reservation lapses 15 minutes after).
async fn ordered(store: &EmbeddedStore, ticket: &Ticket, ago: chrono::Duration) -> Order {
    orders::place(store, UserId::from("buyer"), ticket.id.as_str(), TIMEOUT, LIMIT, Utc::now() - ago).await.unwrap()
}

async fn ticket_of(store: &EmbeddedStore, ticket: &Ticket) -> Ticket {
    TicketStore::get(store, &ticket.id).await.unwrap().unwrap()
}

async fn order_of(store: &EmbeddedStore, order: &Order) -> Order {
    OrderStore::get(store, &order.id).await.unwrap().unwrap()
}

/// The order's payment started at `at`, for the browser to confirm.
async fn started(
    store: &EmbeddedStore,
    gateway: &TestGateway,
    order: &Order,
    at: DateTime<Utc>,
) -> domain::entities::Payment {
    let started = payments::pay(store, gateway, &order.user_id, order.id.as_str(), None, at).await.unwrap();
    let payments::Outcome::Started(payment) = started else { panic!("{started:?}") };
    payment
}

/// The order's payment started, and the buyer paid in the browser, at `at`.
async fn paid_in_browser(store: &EmbeddedStore, gateway: &TestGateway, order: &Order, at: DateTime<Utc>) -> String {
    let payment = started(store, gateway, order, at).await;
    gateway.complete_in_browser_at(&payment.stripe_id, at).unwrap();
    payment.stripe_id
}

fn succeeded(order: &Order, intent: &str, at: DateTime<Utc>) -> GatewayEvent {
    GatewayEvent {
        id: format!("evt_{}", ulid::Ulid::new()),
        kind: GatewayEventKind::IntentSucceeded {
            order: order.id.clone(),
            intent: intent.to_owned(),
            amount: order.ticket.price,
            currency: order.ticket.currency.clone(),
            livemode: false,
            at,
        },
    }
}

#[tokio::test]
async fn a_late_payment_is_refunded_and_its_ticket_released_in_the_same_change() {
    let (store, gateway) = (EmbeddedStore::in_memory(), TestGateway::new());
    let (ticket, order, payment) = paid_late(&store, &gateway).await;

    let late = succeeded(&order, &payment.stripe_id, Utc::now());
    payments::handle_gateway_event(&store, &gateway, &store, &late, Utc::now()).await.unwrap();

    assert_eq!(store.for_order(&order.id).await.unwrap().unwrap().status, PaymentStatus::Refunded);
    assert_eq!(order_of(&store, &order).await.status, OrderStatus::Cancelled);
    let freed = ticket_of(&store, &ticket).await;
    assert_eq!((freed.status, freed.order_id), (TicketStatus::Available, None), "the ticket is not stranded");
    assert_eq!(expiration::expire(&store, &gateway, &order.id, Utc::now()).await.unwrap(), Expiration::Ignored);
}

/// Whether the gateway refunded `intent`: its ledger, as the provider's dashboard shows it.
fn refunded_at_the_gateway(gateway: &TestGateway, intent: &str) -> bool {
    gateway.ledger().iter().any(|(_, charged, refunded)| charged.id == intent && *refunded)
}

#[tokio::test]
async fn a_payment_read_before_its_order_completed_never_refunds_the_sale() {
    // A double-clicked "Pay", or the webhook racing one-step pay: the second path read the
    // payment while it was still pending, and the first completed the order meanwhile.
    let (store, gateway) = (EmbeddedStore::in_memory(), TestGateway::new());
    let ticket = listed(&store).await;
    let order = ordered(&store, &ticket, chrono::Duration::minutes(1)).await;
    let intent = paid_in_browser(&store, &gateway, &order, Utc::now()).await;
    let stale = store.for_order(&order.id).await.unwrap().unwrap();

    let first = payments::settle(&store, &gateway, &stale, stale.asked(), Utc::now(), Utc::now()).await.unwrap();
    assert_eq!(first.status, PaymentStatus::Succeeded);
    let second = payments::settle(&store, &gateway, &stale, stale.asked(), Utc::now(), Utc::now()).await.unwrap();

    assert_eq!(second.status, PaymentStatus::Succeeded);
    assert!(!refunded_at_the_gateway(&gateway, &intent), "the buyer's money was given back for a completed sale");
    assert_eq!(order_of(&store, &order).await.status, OrderStatus::Complete);
    assert_eq!(ticket_of(&store, &ticket).await.status, TicketStatus::Sold);
}

#[tokio::test]
async fn an_expiry_completes_an_order_whose_payment_succeeded_but_whose_news_is_late() {
    let (store, gateway) = (EmbeddedStore::in_memory(), TestGateway::new());
    let ticket = listed(&store).await;
    let order = ordered(&store, &ticket, chrono::Duration::minutes(16)).await;
    paid_in_browser(
        &store,
        &gateway,
        &order,
        Utc::now() - chrono::Duration::minutes(15) - chrono::Duration::seconds(30),
    )
    .await;

    assert_eq!(expiration::expire(&store, &gateway, &order.id, Utc::now()).await.unwrap(), Expiration::Completed);
    assert_eq!(order_of(&store, &order).await.status, OrderStatus::Complete);
    assert_eq!(ticket_of(&store, &ticket).await.status, TicketStatus::Sold);
    let someone_else =
        orders::place(&store, UserId::from("latecomer"), ticket.id.as_str(), TIMEOUT, LIMIT, Utc::now()).await;
    assert!(someone_else.is_err(), "the paid ticket is never offered again");
}

#[tokio::test]
async fn a_lapsed_reservation_reads_available_everywhere_before_any_expiry_ran() {
    let store = EmbeddedStore::in_memory();
    let ticket = listed(&store).await;
    let order = ordered(&store, &ticket, chrono::Duration::minutes(16)).await;
    assert!(ticket_of(&store, &ticket).await.is_held_by(&order.id), "as stored, still reserved");

    let request = |path: &str, params: &[(&str, &str)]| {
        let request = lambda_http::http::Request::builder().uri(path).body(lambda_http::Body::Empty).unwrap();
        let params: std::collections::HashMap<String, String> =
            params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        request.with_path_parameters(params)
    };
    let sessions = edge::auth::SessionVerifier::development();
    let shown =
        tickets_get::handle(&store, &sessions, request("/api/tickets/x", &[("id", ticket.id.as_str())])).await.unwrap();
    let shown: Value = serde_json::from_slice(shown.body().as_ref()).unwrap();
    assert_eq!((shown["status"].as_str(), &shown["orderId"]), (Some("available"), &Value::Null));
    let listing = tickets_list::handle(&store, request("/api/tickets", &[])).await.unwrap();
    let listing: Value = serde_json::from_slice(listing.body().as_ref()).unwrap();
    assert_eq!(listing[0]["id"].as_str(), Some(ticket.id.as_str()), "listed for sale again");
    assert_eq!(listing[0]["status"], "available");

    // The seller may edit it again; the lapsed order then holds nothing.
    let seller = ticket.user_id.clone();
    let draft = domain::entities::TicketDraft { title: "Encore".into(), ..draft_of(&ticket) };
    let edited = domain::tickets::update(&store, &seller, ticket.id.as_str(), draft, Utc::now()).await.unwrap();
    assert_eq!((edited.status, edited.version), (TicketStatus::Available, 2));
    assert_eq!(
        expiration::expire(&store, &TestGateway::new(), &order.id, Utc::now()).await.unwrap(),
        Expiration::Expired
    );
    assert_eq!(ticket_of(&store, &ticket).await.title, "Encore", "the expiry leaves the seller's ticket alone");
}

fn draft_of(ticket: &Ticket) -> domain::entities::TicketDraft {
    domain::entities::TicketDraft {
        title: ticket.title.clone(),
        price: ticket.price,
        date: ticket.date,
        venue: ticket.venue.clone(),
    }
}

#[tokio::test]
async fn the_sweep_expires_open_orders_whose_expiry_never_ran_and_nothing_else() {
    let (store, gateway) = (EmbeddedStore::in_memory(), TestGateway::new());
    let forgotten = ordered(&store, &listed(&store).await, chrono::Duration::minutes(18)).await;
    let just_lapsed = ordered(&store, &listed(&store).await, chrono::Duration::minutes(16)).await;
    let live = ordered(&store, &listed(&store).await, chrono::Duration::minutes(1)).await;

    assert_eq!(expiration_sweep::handle(&store, &gateway, &store).await.unwrap(), 1);
    assert_eq!(order_of(&store, &forgotten).await.status, OrderStatus::Cancelled, "lapsed beyond the grace");
    assert_eq!(order_of(&store, &just_lapsed).await.status, OrderStatus::Created, "its schedule may still fire");
    assert_eq!(order_of(&store, &live).await.status, OrderStatus::Created);
    assert_eq!(expiration_sweep::handle(&store, &gateway, &store).await.unwrap(), 0, "a second sweep finds nothing");
}

async fn never_waits(_: Duration) {}

#[tokio::test]
async fn an_order_already_due_when_its_schedule_would_be_created_is_expired_at_once() {
    let (store, gateway) = (EmbeddedStore::in_memory(), TestGateway::new());
    let order = ordered(&store, &listed(&store).await, chrono::Duration::minutes(20)).await;
    let created = order.event(EventType::OrderCreated, order.created_at).unwrap();

    expiration::track(&store, &store, &gateway, &store, &created, Utc::now(), never_waits).await.unwrap();
    assert_eq!(order_of(&store, &order).await.status, OrderStatus::Cancelled);
    assert!(store.schedules().await.unwrap().is_empty(), "no schedule that may never fire");

    let later = ordered(&store, &listed(&store).await, chrono::Duration::zero()).await;
    let created = later.event(EventType::OrderCreated, later.created_at).unwrap();
    expiration::track(&store, &store, &gateway, &store, &created, Utc::now(), never_waits).await.unwrap();
    assert_eq!(store.schedules().await.unwrap().len(), 1, "an order due later is scheduled");
    assert_eq!(order_of(&store, &later).await.status, OrderStatus::Created);
}

#[tokio::test]
async fn an_order_due_within_a_minute_expires_in_the_delivery_once_due() {
    let (store, gateway) = (EmbeddedStore::in_memory(), TestGateway::new());
    let ticket = listed(&store).await;
    let order =
        orders::place(&store, UserId::from("buyer"), ticket.id.as_str(), Duration::from_millis(300), LIMIT, Utc::now())
            .await
            .unwrap();
    let created = order.event(EventType::OrderCreated, order.created_at).unwrap();
    let waited = Arc::new(AtomicUsize::new(0));
    let wait = |duration: Duration| {
        waited.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(duration)
    };
    expiration::track(&store, &store, &gateway, &store, &created, Utc::now(), wait).await.unwrap();
    assert_eq!(waited.load(Ordering::SeqCst), 1, "waited until due, not expired early");
    assert_eq!(order_of(&store, &order).await.status, OrderStatus::Cancelled);
    assert!(store.schedules().await.unwrap().is_empty());
}

/// A sender that counts what it was given, then hands it on.
#[derive(Clone)]
struct Counting {
    sent: Arc<AtomicUsize>,
    inner: EmbeddedStore,
}

impl NotificationSender for Counting {
    async fn send(&self, notification: &Notification) -> Result<()> {
        self.sent.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(20)).await;
        self.inner.send(notification).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_two_concurrent_deliveries_of_an_event_one_runs_its_effect() {
    let store = EmbeddedStore::in_memory();
    let order = ordered(&store, &listed(&store).await, chrono::Duration::zero()).await;
    let created = order.event(EventType::OrderCreated, order.created_at).unwrap();
    let sender = Counting { sent: Arc::default(), inner: store.clone() };

    let mut deliveries = tokio::task::JoinSet::new();
    for _ in 0..2 {
        let (store, sender, event) = (store.clone(), sender.clone(), created.clone());
        deliveries.spawn(async move {
            notifications_consumer::handle((&store, &sender, &store), MailReservations(true), event).await
        });
    }
    let outcomes = deliveries.join_all().await;
    assert_eq!(outcomes.iter().filter(|outcome| outcome.is_ok()).count(), 1, "the other is redelivered later");
    assert_eq!(sender.sent.load(Ordering::SeqCst), 1, "sent once");

    // Its redelivery finds the event processed.
    notifications_consumer::handle((&store, &sender, &store), MailReservations(true), created).await.unwrap();
    assert_eq!(sender.sent.load(Ordering::SeqCst), 1);
    assert_eq!(store.sent_notifications().await.unwrap(), 1);
}

#[tokio::test]
async fn a_notification_interrupted_between_storing_and_sending_is_sent_on_its_retry() {
    let store = EmbeddedStore::in_memory();
    let order = ordered(&store, &listed(&store).await, chrono::Duration::zero()).await;
    let created = order.event(EventType::OrderCreated, order.created_at).unwrap();
    // The first delivery stored the notification and crashed before sending: its claim lapses.
    let crashed_at = Utc::now() - chrono::Duration::minutes(5);
    let notification = domain::notifications::for_event(&created).unwrap().unwrap();
    domain::ports::NotificationStore::add(&store, &notification).await.unwrap();
    domain::ports::Inbox::claim(&store, domain::notifications::CONSUMER, &created.id, crashed_at, crashed_at)
        .await
        .unwrap();

    notifications_consumer::handle((&store, &store, &store), MailReservations(true), created.clone()).await.unwrap();
    assert_eq!(store.sent_notifications().await.unwrap(), 1, "sent by the retry");
    notifications_consumer::handle((&store, &store, &store), MailReservations(true), created).await.unwrap();
    assert_eq!(store.sent_notifications().await.unwrap(), 1, "and only once");
}

#[tokio::test]
async fn an_expiry_frees_a_ticket_its_cancelled_order_still_holds() {
    let store = EmbeddedStore::in_memory();
    let ticket = listed(&store).await;
    let order = ordered(&store, &ticket, chrono::Duration::minutes(20)).await;
    let cancelled = order.cancel(domain::entities::CancelReason::Expired);
    store.commit(&Change { orders: vec![Write::Update(cancelled)], ..Change::default() }).await.unwrap();
    store.schedule(&order.id, order.expires_at).await.unwrap();

    assert_eq!(
        expiration::expire(&store, &TestGateway::new(), &order.id, Utc::now()).await.unwrap(),
        Expiration::Released
    );
    assert_eq!(ticket_of(&store, &ticket).await.status, TicketStatus::Available);
}

/// The test gateway, with refunds that fail while `refunds_fail` counts down (a crash
/// between a refund's claim and its call), and a count of the look-ups of past refunds.
#[derive(Default)]
struct Watched {
    inner: TestGateway,
    refunds_fail: AtomicUsize,
    refunds: AtomicUsize,
    look_ups: AtomicUsize,
}

impl domain::ports::PaymentGateway for Watched {
    async fn create_intent(&self, request: &domain::entities::IntentRequest<'_>) -> Result<domain::entities::Intent> {
        self.inner.create_intent(request).await
    }

    async fn confirm(&self, intent_id: &str, payment_method: &str) -> Result<domain::entities::Intent> {
        self.inner.confirm(intent_id, payment_method).await
    }

    async fn get_intent(&self, intent_id: &str) -> Result<domain::entities::Intent> {
        self.inner.get_intent(intent_id).await
    }

    async fn refund(&self, intent_id: &str) -> Result<String> {
        if self.refunds_fail.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| left.checked_sub(1)).is_ok() {
            return Err(domain::Error::Internal(anyhow::anyhow!("the process died before the refund was sent")));
        }
        self.refunds.fetch_add(1, Ordering::SeqCst);
        self.inner.refund(intent_id).await
    }

    async fn cancel_intent(&self, intent_id: &str) -> Result<domain::entities::Intent> {
        self.inner.cancel_intent(intent_id).await
    }

    async fn refund_of(&self, intent_id: &str) -> Result<Option<String>> {
        self.look_ups.fetch_add(1, Ordering::SeqCst);
        self.inner.refund_of(intent_id).await
    }
}

/// An order placed 20 minutes ago, whose reservation lapsed 5 minutes ago with no expiry run,
/// its payment started in time, and the bank confirming only now.
async fn paid_late(store: &EmbeddedStore, gateway: &TestGateway) -> (Ticket, Order, domain::entities::Payment) {
    let ticket = listed(store).await;
    let order = ordered(store, &ticket, chrono::Duration::minutes(20)).await;
    let payment = started(store, gateway, &order, Utc::now() - chrono::Duration::minutes(19)).await;
    gateway.complete_in_browser(&payment.stripe_id).unwrap();
    (ticket, order, payment)
}

#[tokio::test]
async fn a_refund_claimed_before_a_crash_is_finished_by_the_retry_and_never_decided_again() {
    let store = EmbeddedStore::in_memory();
    let gateway = Watched { refunds_fail: AtomicUsize::new(1), ..Watched::default() };
    let (ticket, order, payment) = paid_late(&store, &gateway.inner).await;

    let crashed = payments::settle(&store, &gateway, &payment, payment.asked(), Utc::now(), Utc::now()).await;
    assert!(crashed.is_err(), "{crashed:?}");
    let claimed = store.for_order(&order.id).await.unwrap().unwrap();
    assert_eq!(claimed.status, PaymentStatus::Refunding, "the decision is recorded before the gateway is asked");
    assert_eq!(order_of(&store, &order).await.status, OrderStatus::Cancelled);
    assert_eq!(ticket_of(&store, &ticket).await.status, TicketStatus::Available, "released with the claim");
    assert!(!refunded_at_the_gateway(&gateway.inner, &payment.stripe_id));

    // Meanwhile the ticket is someone else's: the retry finishes the refund and touches nothing else.
    let next =
        orders::place(&store, UserId::from("next"), ticket.id.as_str(), TIMEOUT, LIMIT, Utc::now()).await.unwrap();
    assert_eq!(expiration::expire(&store, &gateway, &order.id, Utc::now()).await.unwrap(), Expiration::Ignored);
    let refunded = store.for_order(&order.id).await.unwrap().unwrap();
    assert_eq!(refunded.status, PaymentStatus::Refunded);
    assert!(refunded_at_the_gateway(&gateway.inner, &payment.stripe_id));
    assert!(ticket_of(&store, &ticket).await.is_held_by(&next.id), "the next buyer keeps the ticket");

    // The webhook's redelivery finds it settled.
    let again = payments::settle(&store, &gateway, &payment, payment.asked(), Utc::now(), Utc::now()).await.unwrap();
    assert_eq!((again.status, again.refund_id), (PaymentStatus::Refunded, refunded.refund_id));
    assert_eq!(gateway.refunds.load(Ordering::SeqCst), 1, "one refund call went through");
    // A fresh claim's key is still the gateway's: only the failed attempt looked for a refund
    // made elsewhere; the retry refunded without looking.
    assert_eq!(gateway.look_ups.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_claim_older_than_the_gateway_keeps_keys_is_looked_up_before_it_is_refunded() {
    let store = EmbeddedStore::in_memory();
    let gateway = Watched::default();
    let (_, order, payment) = paid_late(&store, &gateway.inner).await;
    // Claimed two days ago; the refund went through and its answer was lost.
    let claimed = payment.claim_refund(Utc::now() - chrono::Duration::days(2));
    store.commit(&Change { payments: vec![Write::Update(claimed.clone())], ..Change::default() }).await.unwrap();
    let done = domain::ports::PaymentGateway::refund(&gateway.inner, &payment.stripe_id).await.unwrap();

    let settled = payments::settle(&store, &gateway, &claimed, claimed.asked(), Utc::now(), Utc::now()).await.unwrap();
    assert_eq!((settled.status, settled.refund_id.as_deref()), (PaymentStatus::Refunded, Some(done.as_str())));
    assert_eq!(gateway.look_ups.load(Ordering::SeqCst), 1);
    assert_eq!(gateway.refunds.load(Ordering::SeqCst), 0, "not refunded again under a key the gateway forgot");
    assert_eq!(store.for_order(&order.id).await.unwrap().unwrap().status, PaymentStatus::Refunded);
}

#[tokio::test]
async fn an_open_order_whose_payment_was_recorded_refunded_is_ended_by_its_expiry_not_left_open() {
    let (store, gateway) = (EmbeddedStore::in_memory(), TestGateway::new());
    let ticket = listed(&store).await;
    let order = ordered(&store, &ticket, chrono::Duration::minutes(16)).await;
    paid_in_browser(&store, &gateway, &order, Utc::now() - chrono::Duration::minutes(15)).await;
    // As refunds made at the provider were recorded before they ended their order: the
    // payment refunded, the order still awaiting it.
    let payment = store.for_order(&order.id).await.unwrap().unwrap();
    store.commit(&Change { payments: vec![Write::Update(payment.refund(None))], ..Change::default() }).await.unwrap();

    assert_eq!(expiration::expire(&store, &gateway, &order.id, Utc::now()).await.unwrap(), Expiration::Refunded);
    let ended = order_of(&store, &order).await;
    assert_eq!((ended.status, ended.refunded_at.is_some()), (OrderStatus::Refunded, true));
    assert_eq!(ticket_of(&store, &ticket).await.status, TicketStatus::Available);
    assert!(store.overdue(Utc::now(), 10).await.unwrap().is_empty(), "the sweep reads it no more");
    assert_eq!(expiration::expire(&store, &gateway, &order.id, Utc::now()).await.unwrap(), Expiration::Ignored);
}

#[tokio::test]
async fn an_expiry_never_completes_an_order_from_an_intent_whose_amount_was_changed_it_refunds_it() {
    let (store, gateway) = (EmbeddedStore::in_memory(), TestGateway::new());
    let ticket = listed(&store).await;
    let order = ordered(&store, &ticket, chrono::Duration::minutes(16)).await;
    let intent = paid_in_browser(&store, &gateway, &order, Utc::now() - chrono::Duration::minutes(15)).await;
    gateway.change_amount(&intent, 1, &order.ticket.currency).unwrap();

    assert_eq!(expiration::expire(&store, &gateway, &order.id, Utc::now()).await.unwrap(), Expiration::Expired);
    let lapsed = order_of(&store, &order).await;
    assert_eq!(
        (lapsed.status, lapsed.cancel_reason),
        (OrderStatus::Cancelled, Some(domain::entities::CancelReason::Expired))
    );
    assert_eq!(ticket_of(&store, &ticket).await.status, TicketStatus::Available);
    assert_eq!(store.for_order(&order.id).await.unwrap().unwrap().status, PaymentStatus::Refunded);
    assert!(refunded_at_the_gateway(&gateway, &intent));
}

#[tokio::test]
async fn a_one_step_payment_whose_intent_was_changed_is_refunded_and_the_reservation_stands_until_it_lapses() {
    let (store, gateway) = (EmbeddedStore::in_memory(), TestGateway::new());
    let (ticket, order, payment) = awaiting_browser(&store, &gateway).await;
    gateway.change_amount(&payment.stripe_id, payment.amount.minor(), "eur").unwrap();

    let paid =
        payments::pay(&store, &gateway, &order.user_id, order.id.as_str(), Some("pm_card_visa"), Utc::now()).await;
    assert!(matches!(paid, Err(domain::Error::Conflict(domain::entities::MISMATCH))), "{paid:?}");
    assert!(refunded_at_the_gateway(&gateway, &payment.stripe_id));
    assert_eq!(order_of(&store, &order).await.status, OrderStatus::AwaitingPayment, "held until it lapses");
    assert!(ticket_of(&store, &ticket).await.is_held_by(&order.id));
}

#[tokio::test]
async fn a_payment_made_in_time_whose_news_comes_after_the_seller_repriced_the_lapsed_ticket_is_refunded() {
    let (store, gateway) = (EmbeddedStore::in_memory(), TestGateway::new());
    let ticket = listed(&store).await;
    let order = ordered(&store, &ticket, chrono::Duration::minutes(16)).await;
    let payment = started(&store, &gateway, &order, Utc::now() - chrono::Duration::minutes(15)).await;
    // The reservation lapsed; the seller edits the ticket, as they may.
    let repriced = domain::entities::TicketDraft { price: domain::money::Money::from_minor(9000), ..draft_of(&ticket) };
    domain::tickets::update(&store, &ticket.user_id, ticket.id.as_str(), repriced, Utc::now()).await.unwrap();
    // The buyer had paid in time; the news comes now.
    let paid_at = Utc::now() - chrono::Duration::minutes(14);
    gateway.complete_in_browser_at(&payment.stripe_id, paid_at).unwrap();
    let news = succeeded(&order, &payment.stripe_id, paid_at);
    payments::handle_gateway_event(&store, &gateway, &store, &news, Utc::now()).await.unwrap();

    assert_eq!(store.for_order(&order.id).await.unwrap().unwrap().status, PaymentStatus::Refunded);
    assert!(refunded_at_the_gateway(&gateway, &payment.stripe_id));
    assert_eq!(order_of(&store, &order).await.status, OrderStatus::Cancelled);
    let now = ticket_of(&store, &ticket).await;
    assert_eq!((now.status, now.price.minor()), (TicketStatus::Available, 9000), "never sold at the old price");
}

#[tokio::test]
async fn the_local_runners_test_gateway_remembers_a_declined_payment_across_a_restart_so_its_order_expires() {
    let dir = std::env::temp_dir().join(ticketing_tests::unique_name("restart"));
    let path = dir.join("ticketing.redb");
    let config = local::LocalConfig::for_tests();
    let (ticket, order) = {
        let functions = local::Functions::new(EmbeddedStore::open(&path).unwrap(), &config).unwrap();
        let (store, gateway) = (functions.store(), functions.gateway());
        let ticket = listed(store).await;
        let order = ordered(store, &ticket, chrono::Duration::minutes(16)).await;
        let at = Utc::now() - chrono::Duration::minutes(15);
        let declined =
            payments::pay(store, gateway, &order.user_id, order.id.as_str(), Some("pm_card_chargeDeclined"), at).await;
        assert!(matches!(declined, Err(domain::Error::PaymentDeclined(_))), "{declined:?}");
        (ticket, order)
    };
    // The runner is stopped and started again on its data folder.
    let functions = local::Functions::new(EmbeddedStore::open(&path).unwrap(), &config).unwrap();
    let (store, gateway) = (functions.store(), functions.gateway());
    assert_eq!(order_of(store, &order).await.status, OrderStatus::AwaitingPayment);
    assert_eq!(expiration::expire(store, gateway, &order.id, Utc::now()).await.unwrap(), Expiration::Expired);
    assert_eq!(ticket_of(store, &ticket).await.status, TicketStatus::Available);
    drop(functions);
    std::fs::remove_dir_all(dir).unwrap();
}

/// An order awaiting its payment in the browser (the intent's client secret handed out).
async fn awaiting_browser(store: &EmbeddedStore, gateway: &TestGateway) -> (Ticket, Order, domain::entities::Payment) {
    let ticket = listed(store).await;
    let order = ordered(store, &ticket, chrono::Duration::zero()).await;
    let payment = started(store, gateway, &order, Utc::now()).await;
    (ticket, order, payment)
}

#[tokio::test]
async fn a_cancelled_orders_intent_is_cancelled_at_the_gateway_so_its_secret_cannot_be_paid() {
    let (store, gateway) = (EmbeddedStore::in_memory(), TestGateway::new());
    let (_, order, payment) = awaiting_browser(&store, &gateway).await;
    orders::cancel(&store, &order.user_id, order.id.as_str(), Utc::now()).await.unwrap();

    payments::cancel_unpaid(&store, &gateway, &order.id, Utc::now()).await.unwrap();
    assert_eq!(store.for_order(&order.id).await.unwrap().unwrap().status, PaymentStatus::Canceled);
    let intent = domain::ports::PaymentGateway::get_intent(&gateway, &payment.stripe_id).await.unwrap();
    assert_eq!(intent.status, domain::entities::IntentStatus::Canceled);
    assert!(gateway.complete_in_browser(&payment.stripe_id).is_err(), "the browser can no longer pay it");
    payments::cancel_unpaid(&store, &gateway, &order.id, Utc::now()).await.unwrap();
    assert_eq!(store.for_order(&order.id).await.unwrap().unwrap().version, payment.version + 2, "repeated: nothing");
}

#[tokio::test]
async fn a_payment_that_beats_the_cancellation_of_its_intent_is_settled_it_is_refunded() {
    let (store, gateway) = (EmbeddedStore::in_memory(), TestGateway::new());
    let (ticket, order, payment) = awaiting_browser(&store, &gateway).await;
    orders::cancel(&store, &order.user_id, order.id.as_str(), Utc::now()).await.unwrap();
    gateway.complete_in_browser(&payment.stripe_id).unwrap();

    payments::cancel_unpaid(&store, &gateway, &order.id, Utc::now()).await.unwrap();
    assert_eq!(store.for_order(&order.id).await.unwrap().unwrap().status, PaymentStatus::Refunded);
    assert!(refunded_at_the_gateway(&gateway, &payment.stripe_id), "no money kept for a cancelled order");
    assert_eq!(ticket_of(&store, &ticket).await.status, TicketStatus::Available);
}

#[tokio::test]
async fn a_cancellation_claimed_before_a_crash_is_finished_by_the_retry_and_a_late_failure_report_leaves_it() {
    let (store, gateway) = (EmbeddedStore::in_memory(), TestGateway::new());
    let (_, order, payment) = awaiting_browser(&store, &gateway).await;
    orders::cancel(&store, &order.user_id, order.id.as_str(), Utc::now()).await.unwrap();
    // The claim committed; the process died before the gateway was asked.
    let claimed = payment.claim_cancel();
    store.commit(&Change { payments: vec![Write::Update(claimed.clone())], ..Change::default() }).await.unwrap();
    payments::record_failure(&store, claimed, Some("declined".into()), Utc::now()).await.unwrap();
    assert_eq!(
        store.for_order(&order.id).await.unwrap().unwrap().status,
        PaymentStatus::Canceling,
        "not payable again"
    );

    payments::cancel_unpaid(&store, &gateway, &order.id, Utc::now()).await.unwrap();
    assert_eq!(store.for_order(&order.id).await.unwrap().unwrap().status, PaymentStatus::Canceled);
}

#[tokio::test]
async fn a_claimed_refund_whose_charge_was_refunded_in_the_dashboard_meanwhile_records_that_refund() {
    let (store, gateway) = (EmbeddedStore::in_memory(), TestGateway::new());
    let (_, order, payment) = paid_late(&store, &gateway).await;
    let claimed = payment.claim_refund(Utc::now());
    store.commit(&Change { payments: vec![Write::Update(claimed.clone())], ..Change::default() }).await.unwrap();
    let by_hand = gateway.refund_from_dashboard(&payment.stripe_id).unwrap();

    let refunded = payments::finish_refund(&store, &gateway, &claimed, Utc::now()).await.unwrap();
    assert_eq!((refunded.status, refunded.refund_id.as_deref()), (PaymentStatus::Refunded, Some(by_hand.as_str())));
    assert!(!gateway.refunded_by_service(&payment.stripe_id), "no second refund was asked for");
    assert_eq!(store.for_order(&order.id).await.unwrap().unwrap().status, PaymentStatus::Refunded);
}

#[tokio::test]
async fn the_reconciliation_applies_a_success_and_a_refund_whose_webhooks_never_came_and_a_second_run_nothing() {
    let (store, gateway) = (EmbeddedStore::in_memory(), TestGateway::new());
    let ticket = listed(&store).await;
    let paid = ordered(&store, &ticket, chrono::Duration::minutes(1)).await;
    paid_in_browser(&store, &gateway, &paid, Utc::now()).await;
    let other = listed(&store).await;
    let refunded =
        orders::place(&store, UserId::from("other"), other.id.as_str(), TIMEOUT, LIMIT, Utc::now()).await.unwrap();
    let intent = paid_in_browser(&store, &gateway, &refunded, Utc::now()).await;
    payments::handle_gateway_event(&store, &gateway, &store, &succeeded(&refunded, &intent, Utc::now()), Utc::now())
        .await
        .unwrap();
    gateway.refund_from_dashboard(&intent).unwrap();
    // Neither the first success nor the refund was ever delivered.

    let found = payments_reconcile::handle(&store, &gateway, &store).await.unwrap();
    assert_eq!((found.applied, found.failed), (2, 0), "{found:?}");
    assert_eq!(order_of(&store, &paid).await.status, OrderStatus::Complete);
    assert_eq!(ticket_of(&store, &ticket).await.status, TicketStatus::Sold);
    assert_eq!(order_of(&store, &refunded).await.status, OrderStatus::Refunded);
    assert_eq!(store.for_order(&refunded.id).await.unwrap().unwrap().status, PaymentStatus::Refunded);

    let again = payments_reconcile::handle(&store, &gateway, &store).await.unwrap();
    assert_eq!((again.read, again.applied), (found.read, 0), "idempotent");
}

#[tokio::test]
async fn a_buyer_whose_reservation_lapsed_waits_from_the_lapse_before_ordering_it_again_expired_or_not() {
    let store = EmbeddedStore::in_memory();
    let rules = orders::ReservationRules::default();
    let placed = Utc::now() - chrono::Duration::minutes(16);
    for expired in [false, true] {
        let ticket = listed(&store).await;
        let order = ordered(&store, &ticket, chrono::Duration::minutes(16)).await;
        if expired {
            expiration::expire(&store, &TestGateway::new(), &order.id, Utc::now()).await.unwrap();
        }
        let again = orders::place(&store, order.user_id.clone(), ticket.id.as_str(), TIMEOUT, rules, Utc::now()).await;
        let Err(domain::Error::TooManyRequests { message, retry_after }) = again else { panic!("{again:?}") };
        assert_eq!(message, orders::TOO_SOON_AGAIN, "expired: {expired}");
        // The reservation lapsed a minute ago (or the expiry ran just now): what is left of five minutes.
        let lapsed_at = if expired { Utc::now() } else { placed + chrono::Duration::from_std(TIMEOUT).unwrap() };
        let left = (lapsed_at + chrono::Duration::minutes(5) - Utc::now()).num_seconds();
        assert!((left - 2..=left + 2).contains(&(retry_after as i64)), "expired: {expired}: {retry_after} vs {left}");
        let other = orders::place(&store, UserId::from("other"), ticket.id.as_str(), TIMEOUT, rules, Utc::now()).await;
        assert!(other.is_ok(), "anyone else may order it: {other:?}");
    }
}
