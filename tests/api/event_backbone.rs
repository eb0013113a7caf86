//! The event backbone: consumer scaffolding (partial batch failures, once-only by event id,
//! version ordering), the inbox adapters, and the local event flow (outbox relay and
//! in-process bus) proven with a consumer defined here.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use chrono::Utc;
use domain::change::{Change, Write};
use domain::events::{Event, EventType, is_newer};
use domain::ports::{ChangeStore, EventPublisher, Inbox};
use domain::{Error, Result, inbox};
use edge::deliveries::{self as consumer, BusEvent};
use embedded::EmbeddedStore;
use local::{DurableBus, Retry, SqsHandler, Subscription, deliver, relay_outbox};
use reqwest::Method;
use serde_json::Value;
use ticketing_tests::{PATIENCE, json, spawn_app_with};
use tokio::sync::mpsc;

/// A consumer for the tests: a catalogue of the latest version of every ticket, which
/// applies each event once and never lets an older version replace a newer one.
#[derive(Clone)]
struct Catalogue<I> {
    inbox: I,
    view: Arc<Mutex<HashMap<String, (u64, String)>>>,
    effects: Arc<AtomicUsize>,
    applied: mpsc::UnboundedSender<Event>,
}

impl<I: Inbox + Clone + 'static> Catalogue<I> {
    fn new(inbox: I) -> (Self, mpsc::UnboundedReceiver<Event>) {
        let (applied, receiver) = mpsc::unbounded_channel();
        (Self { inbox, view: Arc::default(), effects: Arc::default(), applied }, receiver)
    }

    async fn apply(&self, event: Event) -> Result<()> {
        inbox::once(&self.inbox, "catalogue", &event.id, Utc::now(), || async {
            let ticket: Value = event.data()?;
            let id = ticket["id"].as_str().ok_or(Error::BadRequest("no ticket id".into()))?.to_owned();
            let state = match event.kind {
                EventType::TicketDeleted => "deleted".to_owned(),
                _ => ticket["title"].as_str().unwrap_or_default().to_owned(),
            };
            let mut view = self.view.lock().unwrap();
            if is_newer(event.version, view.get(&id).map(|(version, _)| *version)) {
                view.insert(id, (event.version, state));
                self.effects.fetch_add(1, Ordering::SeqCst);
            }
            Ok(())
        })
        .await?;
        let _ = self.applied.send(event);
        Ok(())
    }

    fn state(&self, id: &str) -> Option<(u64, String)> {
        self.view.lock().unwrap().get(id).cloned()
    }

    fn handler(&self) -> SqsHandler {
        let catalogue = self.clone();
        Arc::new(move |batch| {
            let catalogue = catalogue.clone();
            Box::pin(async move { consumer::handle_batch(batch, |event| catalogue.apply(event)).await })
        })
    }

    fn subscription(&self) -> Subscription {
        Subscription { consumer: "catalogue".into(), types: EventType::ALL.to_vec(), handler: self.handler() }
    }
}

fn ticket_event(kind: EventType, id: &str, version: u64, title: &str) -> Event {
    Event::new(kind, version, &json!({ "id": id, "title": title }), Utc::now()).unwrap()
}

fn message(id: &str, body: String) -> SqsMessage {
    let mut message = SqsMessage::default();
    message.message_id = Some(id.to_owned());
    message.body = Some(body);
    message
}

fn batch(messages: Vec<SqsMessage>) -> SqsEvent {
    let mut batch = SqsEvent::default();
    batch.records = messages;
    batch
}

fn delivered(event: &Event) -> String {
    serde_json::to_string(&BusEvent::wrap(event, "us-east-1")).unwrap()
}

async fn next(receiver: &mut mpsc::UnboundedReceiver<Event>) -> Event {
    tokio::time::timeout(PATIENCE, receiver.recv()).await.expect("an event in time").expect("an open channel")
}

#[tokio::test]
async fn a_batch_reports_exactly_the_messages_that_failed() {
    let (catalogue, _) = Catalogue::new(EmbeddedStore::in_memory());
    let good = ticket_event(EventType::TicketCreated, "t1", 0, "Concert");
    let no_ticket_id = Event::new(EventType::TicketCreated, 0, &json!({ "title": "x" }), Utc::now()).unwrap();
    let response = consumer::handle_batch(
        batch(vec![
            message("m1", delivered(&good)),
            message("m2", "{not a bus event".to_owned()),
            message("m3", delivered(&no_ticket_id)),
        ]),
        |event| catalogue.apply(event),
    )
    .await;
    let failed: Vec<&str> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
    assert_eq!(failed, ["m2", "m3"]);
    assert_eq!(catalogue.state("t1"), Some((0, "Concert".to_owned())), "the good message was applied");
}

#[tokio::test]
async fn a_redelivered_event_changes_nothing() {
    let (catalogue, _) = Catalogue::new(EmbeddedStore::in_memory());
    let created = ticket_event(EventType::TicketCreated, "t1", 0, "Concert");
    for _ in 0..3 {
        let response =
            consumer::handle_batch(batch(vec![message("m", delivered(&created))]), |e| catalogue.apply(e)).await;
        assert!(response.batch_item_failures.is_empty());
    }
    assert_eq!(catalogue.effects.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_older_version_arriving_late_changes_nothing() {
    let (catalogue, _) = Catalogue::new(EmbeddedStore::in_memory());
    catalogue.apply(ticket_event(EventType::TicketUpdated, "t1", 2, "v2")).await.unwrap();
    catalogue.apply(ticket_event(EventType::TicketUpdated, "t1", 1, "v1")).await.unwrap();
    catalogue.apply(ticket_event(EventType::TicketCreated, "t1", 0, "v0")).await.unwrap();
    assert_eq!(catalogue.state("t1"), Some((2, "v2".to_owned())));
    catalogue.apply(ticket_event(EventType::TicketDeleted, "t1", 3, "v2")).await.unwrap();
    assert_eq!(catalogue.state("t1"), Some((3, "deleted".to_owned())));
}

/// A consumer that fails its first `failures` attempts, then reports each event it got.
fn flaky(failures: usize) -> (SqsHandler, Arc<AtomicUsize>, mpsc::UnboundedReceiver<Event>) {
    let attempts = Arc::new(AtomicUsize::new(0));
    let (done, finished) = mpsc::unbounded_channel();
    let counter = attempts.clone();
    let handler: SqsHandler = Arc::new(move |batch| {
        let (attempts, done) = (counter.clone(), done.clone());
        Box::pin(async move {
            consumer::handle_batch(batch, |event| {
                let attempt = attempts.fetch_add(1, Ordering::SeqCst) + 1;
                let done = done.clone();
                async move {
                    if attempt <= failures {
                        return Err(Error::Internal(anyhow::anyhow!("transient failure {attempt}")));
                    }
                    done.send(event).unwrap();
                    Ok(())
                }
            })
            .await
        })
    });
    (handler, attempts, finished)
}

#[tokio::test]
async fn the_local_bus_retries_a_failing_consumer_with_backoff_until_it_succeeds() {
    let store = EmbeddedStore::in_memory();
    let (handler, attempts, mut finished) = flaky(2);
    let subscription = Subscription { consumer: "flaky".into(), types: vec![EventType::TicketCreated], handler };
    let bus = DurableBus::new(store.clone(), std::slice::from_ref(&subscription));
    tokio::spawn(deliver(store.clone(), subscription, Retry { attempts: 5, first_delay: Duration::from_millis(20) }));
    let created = ticket_event(EventType::TicketCreated, "t1", 0, "Concert");
    let started = std::time::Instant::now();
    bus.publish(&[ticket_event(EventType::TicketUpdated, "t1", 1, "not routed"), created.clone()]).await.unwrap();

    let received = tokio::time::timeout(PATIENCE, finished.recv()).await.unwrap().unwrap();
    assert_eq!(received, created);
    assert_eq!(attempts.load(Ordering::SeqCst), 3, "two failures, then success; the update was not routed here");
    assert!(started.elapsed() >= Duration::from_millis(60), "backed off 20 ms, then 40 ms");
    ticketing_tests::eventually("the delivery to be done", || async {
        store.deliveries("flaky").await.unwrap().is_empty().then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_delivery_that_exhausts_its_attempts_is_kept_as_a_dead_letter_and_redriven() {
    let store = EmbeddedStore::in_memory();
    let (handler, attempts, mut finished) = flaky(3);
    let subscription = Subscription { consumer: "flaky".into(), types: vec![EventType::TicketCreated], handler };
    let bus = DurableBus::new(store.clone(), std::slice::from_ref(&subscription));
    tokio::spawn(deliver(store.clone(), subscription, Retry { attempts: 3, first_delay: Duration::from_millis(1) }));
    let created = ticket_event(EventType::TicketCreated, "t1", 0, "Concert");
    bus.publish(std::slice::from_ref(&created)).await.unwrap();

    let letters = ticketing_tests::eventually("a dead letter", || async {
        let letters = store.dead_letters().await.unwrap();
        (!letters.is_empty()).then_some(letters)
    })
    .await;
    assert_eq!((letters[0].consumer.as_str(), &letters[0].event, letters[0].attempts), ("flaky", &created, 3));
    assert!(store.deliveries("flaky").await.unwrap().is_empty(), "no longer retried");
    assert_eq!(attempts.load(Ordering::SeqCst), 3);

    assert_eq!(store.redrive(Utc::now()).await.unwrap(), 1);
    let received = tokio::time::timeout(PATIENCE, finished.recv()).await.unwrap().unwrap();
    assert_eq!(received, created, "delivered after the redrive");
    assert!(store.dead_letters().await.unwrap().is_empty());
}

#[tokio::test]
async fn pending_deliveries_survive_a_restart() {
    let dir = std::env::temp_dir().join(ticketing_tests::unique_name("deliveries"));
    let path = dir.join("ticketing.redb");
    let created = ticket_event(EventType::TicketCreated, "t1", 0, "Concert");
    {
        let store = EmbeddedStore::open(&path).unwrap();
        let (handler, _, _) = flaky(0);
        let subscription = Subscription { consumer: "later".into(), types: vec![EventType::TicketCreated], handler };
        DurableBus::new(store, &[subscription]).publish(std::slice::from_ref(&created)).await.unwrap();
    }
    let store = EmbeddedStore::open(&path).unwrap();
    let (handler, _, mut finished) = flaky(0);
    let subscription = Subscription { consumer: "later".into(), types: vec![EventType::TicketCreated], handler };
    let delivering = tokio::spawn(deliver(store.clone(), subscription, Retry::default()));
    assert_eq!(tokio::time::timeout(PATIENCE, finished.recv()).await.unwrap().unwrap(), created);
    delivering.abort();
    let _ = delivering.await;
    drop(store);
    std::fs::remove_dir_all(dir).unwrap();
}

/// A publisher whose first `failures` calls fail, as a bus that is down would.
struct Unreliable<P> {
    failures: AtomicUsize,
    calls: Arc<AtomicUsize>,
    inner: P,
}

impl<P: EventPublisher> EventPublisher for Unreliable<P> {
    async fn publish(&self, events: &[Event]) -> Result<()> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.failures.load(Ordering::SeqCst) > 0 {
            self.failures.fetch_sub(1, Ordering::SeqCst);
            return Err(Error::Internal(anyhow::anyhow!("the bus is unreachable")));
        }
        self.inner.publish(events).await
    }
}

#[tokio::test]
async fn the_local_relay_keeps_an_event_until_the_bus_takes_it() {
    let db = EmbeddedStore::in_memory();
    let (catalogue, mut applied) = Catalogue::new(db.clone());
    let calls = Arc::new(AtomicUsize::new(0));
    let bus = Unreliable {
        failures: AtomicUsize::new(3),
        calls: calls.clone(),
        inner: DurableBus::new(db.clone(), &[catalogue.subscription()]),
    };
    tokio::spawn(relay_outbox(db.clone(), bus));
    tokio::spawn(deliver(db.clone(), catalogue.subscription(), Retry::default()));

    let ticket = domain::testing::ticket("seller", "Concert");
    let created = ticket.event(EventType::TicketCreated, Utc::now()).unwrap();
    let change = Change { tickets: vec![Write::Insert(ticket)], events: vec![created.clone()], ..Change::default() };
    db.commit(&change).await.unwrap();

    assert_eq!(next(&mut applied).await, created);
    assert!(calls.load(Ordering::SeqCst) >= 4, "three refusals, then accepted");
    assert!(db.outbox_pending(10).await.unwrap().is_empty(), "a relayed event leaves the outbox");
}

#[tokio::test]
async fn the_local_runner_delivers_every_ticket_change_to_its_consumers() {
    let (catalogue, mut applied) = Catalogue::new(EmbeddedStore::in_memory());
    let app = spawn_app_with(vec![catalogue.subscription()]).await;
    let cookie = app.session("seller@example.com").await;

    let created = app.create_ticket(&cookie, &json!({ "title": "Concert", "price": 10 })).await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    let path = format!("/api/tickets/{id}");
    let updated = app.with_session(Method::PUT, &path, &cookie, Some(&json!({ "title": "Gig", "price": 12 }))).await;
    assert_eq!(updated.status, 200);
    assert_eq!(app.with_session(Method::DELETE, &path, &cookie, None).await.status, 204);

    let mut seen = Vec::new();
    while seen.len() < 3 {
        let event = next(&mut applied).await;
        assert_eq!(event.kind.source(), "ticketing.tickets");
        seen.push((event.kind, event.version, event.data["id"].as_str().unwrap().to_owned()));
    }
    seen.sort_by_key(|(_, version, _)| *version);
    assert_eq!(
        seen,
        [
            (EventType::TicketCreated, 0, id.clone()),
            (EventType::TicketUpdated, 1, id.clone()),
            (EventType::TicketDeleted, 2, id.clone())
        ]
    );
    assert_eq!(catalogue.state(&id), Some((2, "deleted".to_owned())));
}
