//! Reservation expiry and notifications: end to end on the local runner, the Scheduler and
//! SQS adapters on moto server, and the notification stores on both adapters.

use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use chrono::Utc;
use reqwest::Method;
use serde_json::Value;
use shared::adapters::embedded::run_schedules;
use shared::adapters::scheduler::{ExpiryInput, ScheduleTarget};
use shared::adapters::{
    EmbeddedDb, EmbeddedNotificationStore, EmbeddedScheduler, EventBridgeScheduler, SqsNotificationSender,
};
use shared::consumer::BusEvent;
use shared::events::{Event, EventType};
use shared::notifications::Notification;
use shared::orders::{self, Order, OrderId, OrderStatus};
use shared::pagination::PageRequest;
use shared::ports::{ExpiryScheduler, NotificationStore, OrderStore};
use shared::users::UserId;
use ticketing_tests::{PATIENCE, TEST_JWT_SECRET, TestApp, eventually, json, moto, spawn_app_configured, unique_name};

async fn notifications(app: &TestApp, cookie: &str) -> Vec<Value> {
    app.with_session(Method::GET, "/api/notifications", cookie, None).await.body.as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn an_unpaid_reservation_expires_on_its_own_and_the_ticket_sells_again() {
    let mut config = local::LocalConfig::for_tests(TEST_JWT_SECRET);
    config.reservation_timeout = Duration::from_secs(2);
    let app = spawn_app_configured(config, Vec::new()).await;
    let seller = app.session("seller@example.com").await;
    let ticket = app.create_ticket(&seller, &json!({ "title": "Concert", "price": 30 })).await.body;
    let ticket_path = format!("/api/tickets/{}", ticket["id"].as_str().unwrap());
    let buyer = app.session("buyer@example.com").await;
    let placed =
        app.with_session(Method::POST, "/api/orders", &buyer, Some(&json!({ "ticketId": ticket["id"] }))).await;
    assert_eq!(placed.status, 201);
    let order_path = format!("/api/orders/{}", placed.body["id"].as_str().unwrap());

    let reserved = eventually("the reservation notice", || async {
        let list = notifications(&app, &buyer).await;
        (list.len() == 1).then_some(list)
    })
    .await;
    assert_eq!(reserved[0]["kind"], "reservation.created");
    assert_eq!(reserved[0]["orderId"], placed.body["id"]);

    let order = eventually("the order to expire", || async {
        let order = app.with_session(Method::GET, &order_path, &buyer, None).await.body;
        (order["status"] == "cancelled").then_some(order)
    })
    .await;
    assert_eq!((order["cancelReason"].as_str(), order["version"].as_u64()), (Some("expired"), Some(1)));
    assert_eq!(app.get(&ticket_path).await.body["status"], "available");

    let expired = eventually("the expiry notice", || async {
        let list = notifications(&app, &buyer).await;
        (list.len() == 2).then_some(list)
    })
    .await;
    assert_eq!(
        (expired[0]["kind"].as_str(), expired[1]["kind"].as_str()),
        (Some("reservation.expired"), Some("reservation.created"))
    );
    assert!(notifications(&app, &seller).await.is_empty(), "notifications are per user");

    let second = app.session("second@example.com").await;
    let again =
        app.with_session(Method::POST, "/api/orders", &second, Some(&json!({ "ticketId": ticket["id"] }))).await;
    assert_eq!(again.status, 201, "a second buyer's order succeeds");
}

#[tokio::test]
async fn notifications_need_a_session_and_page() {
    let app = spawn_app_configured(local::LocalConfig::for_tests(TEST_JWT_SECRET), Vec::new()).await;
    assert_eq!(app.get("/api/notifications").await.status, 401);
    let cookie = app.session("someone@example.com").await;
    let reply = app.with_session(Method::GET, "/api/notifications?limit=0", &cookie, None).await;
    assert_eq!(reply.status, 400);
}

fn order_fixture(expires_in: chrono::Duration) -> Order {
    let now = Utc::now();
    Order {
        id: OrderId::generate(),
        user_id: UserId::from("buyer".to_owned()),
        ticket: orders::OrderedTicket {
            id: shared::tickets::TicketId::generate(),
            title: "Concert".into(),
            price: shared::money::Money::from_minor(3000),
            currency: "usd".into(),
        },
        status: OrderStatus::Created,
        expires_at: now + expires_in,
        cancel_reason: None,
        version: 0,
        created_at: now,
    }
}

/// `event` as its consumer's queue delivers it.
fn sqs_batch(event: &Event) -> SqsEvent {
    let mut message = SqsMessage::default();
    message.message_id = Some(event.id.clone());
    message.body = Some(serde_json::to_string(&BusEvent::wrap(event, "us-east-1")).unwrap());
    let mut batch = SqsEvent::default();
    batch.records = vec![message];
    batch
}

fn order_event(kind: EventType, order: &Order) -> Event {
    Event::new(kind, order.version, &order.view(), Utc::now()).unwrap()
}

#[tokio::test]
async fn the_expiration_consumer_schedules_each_order_as_specified_and_unschedules_it() {
    let config = moto::sdk_config().await;
    let client = aws_sdk_scheduler::Client::new(&config);
    let group = unique_name("reservations");
    client.create_schedule_group().name(&group).send().await.expect("moto creates the group");
    let target = ScheduleTarget {
        group: group.clone(),
        target_arn: "arn:aws:lambda:us-east-1:123456789012:function:expiration-fire".into(),
        role_arn: "arn:aws:iam::123456789012:role/scheduler".into(),
        dead_letter_arn: "arn:aws:sqs:us-east-1:123456789012:schedule-dlq".into(),
    };
    let scheduler = EventBridgeScheduler::new(client.clone(), target.clone());
    let order = order_fixture(chrono::Duration::minutes(15));
    let created = order_event(EventType::OrderCreated, &order);

    for _ in 0..2 {
        let response = expiration_schedule::handle(&scheduler, sqs_batch(&created)).await;
        assert!(response.batch_item_failures.is_empty(), "scheduling twice is harmless");
    }
    let schedule = client.get_schedule().name(order.id.as_str()).group_name(&group).send().await.expect("the schedule");
    assert_eq!(schedule.name(), Some(order.id.as_str()));
    assert_eq!(schedule.group_name(), Some(group.as_str()));
    assert_eq!(schedule.schedule_expression(), Some(EventBridgeScheduler::expression(order.expires_at).as_str()));
    assert!(schedule.schedule_expression().unwrap().starts_with("at("));
    assert_eq!(schedule.flexible_time_window().map(|w| w.mode().as_str()), Some("OFF"));
    assert_eq!(schedule.action_after_completion().map(|a| a.as_str()), Some("DELETE"));
    let scheduled = schedule.target().expect("a target");
    assert_eq!((scheduled.arn(), scheduled.role_arn()), (target.target_arn.as_str(), target.role_arn.as_str()));
    assert_eq!(scheduled.retry_policy().and_then(|p| p.maximum_retry_attempts()), Some(EventBridgeScheduler::RETRIES));
    assert_eq!(scheduled.dead_letter_config().and_then(|d| d.arn()), Some(target.dead_letter_arn.as_str()));
    let input: ExpiryInput = serde_json::from_str(scheduled.input().expect("an input")).unwrap();
    assert_eq!(input, ExpiryInput { order_id: order.id.to_string() });

    let cancelled =
        order_event(EventType::OrderCancelled, &Order { status: OrderStatus::Cancelled, version: 1, ..order.clone() });
    for _ in 0..2 {
        let response = expiration_schedule::handle(&scheduler, sqs_batch(&cancelled)).await;
        assert!(response.batch_item_failures.is_empty(), "a missing schedule is not an error");
    }
    assert!(
        client.get_schedule().name(order.id.as_str()).group_name(&group).send().await.is_err(),
        "gone after a cancel"
    );
}

#[tokio::test]
async fn the_expiry_handler_run_with_a_schedules_input_expires_the_order() {
    let (orders_store, tickets) = moto::order_stores().await;
    let ticket = ticketing_tests::ticket("seller", "Concert");
    let created = Event::new(EventType::TicketCreated, 0, &ticket.view(), Utc::now()).unwrap();
    shared::ports::TicketStore::create(&tickets, &ticket, &created).await.unwrap();
    let then = Utc::now() - chrono::Duration::minutes(16);
    let order = orders::place(
        &orders_store,
        &tickets,
        UserId::from("buyer".to_owned()),
        ticket.id.as_str(),
        Duration::from_secs(900),
        then,
    )
    .await
    .unwrap();

    let input: ExpiryInput = serde_json::from_value(json!({ "orderId": order.id.to_string() })).unwrap();
    assert_eq!(expiration_fire::handle(&orders_store, &tickets, input.clone()).await.unwrap(), orders::Expiry::Expired);
    assert_eq!(orders_store.get(&order.id).await.unwrap().unwrap().status, OrderStatus::Cancelled);
    assert_eq!(
        expiration_fire::handle(&orders_store, &tickets, input).await.unwrap(),
        orders::Expiry::Ignored,
        "a repeat"
    );
}

#[tokio::test]
async fn the_notifications_consumer_records_once_and_sends_to_the_outbound_queue() {
    let store = moto::notification_store().await;
    let sqs = aws_sdk_sqs::Client::new(&moto::sdk_config().await);
    let queue_url = sqs.create_queue().queue_name(unique_name("outbound")).send().await.unwrap().queue_url.unwrap();
    let sender = SqsNotificationSender::new(sqs, queue_url.clone());
    let order = order_fixture(chrono::Duration::minutes(15));
    let created = order_event(EventType::OrderCreated, &order);

    let response = notifications_consumer::handle(&store, &sender, sqs_batch(&created)).await;
    assert!(response.batch_item_failures.is_empty());
    let sent = moto::receive(&queue_url, 1, 5).await;
    let notification: Notification = serde_json::from_str(sent[0].body().unwrap()).unwrap();
    assert_eq!((notification.id.as_str(), notification.kind.as_str()), (created.id.as_str(), "reservation.created"));
    assert_eq!(notification.user_id, order.user_id);
    assert!(notification.message.contains("Concert"), "{}", notification.message);

    notifications_consumer::handle(&store, &sender, sqs_batch(&created)).await;
    let stored = store.list(&order.user_id, &PageRequest::first(10)).await.unwrap();
    assert_eq!(stored.items, vec![notification], "a redelivery records nothing new");
}

mod notification_store_suite {
    use super::*;

    fn notification(user: &str, kind: &str) -> Notification {
        Notification {
            id: ulid::Ulid::new().to_string(),
            user_id: UserId::from(user.to_owned()),
            kind: kind.to_owned(),
            message: format!("{kind} for {user}"),
            order_id: "order".into(),
            created_at: Utc::now(),
        }
    }

    pub async fn each_user_pages_their_notifications_newest_first(store: impl NotificationStore) {
        let mut ada = Vec::new();
        for n in 0..3 {
            let note = notification("ada", &format!("n{n}"));
            store.add(&note).await.unwrap();
            store.add(&note).await.unwrap();
            ada.push(note);
            store.add(&notification("grace", "other")).await.unwrap();
            tokio::time::sleep(Duration::from_millis(2)).await; // distinct ULID milliseconds
        }
        let first = store.list(&UserId::from("ada".to_owned()), &PageRequest::first(2)).await.unwrap();
        assert_eq!(first.items, vec![ada[2].clone(), ada[1].clone()]);
        let rest =
            store.list(&UserId::from("ada".to_owned()), &PageRequest { limit: 2, after: first.next }).await.unwrap();
        assert_eq!((rest.items, rest.next), (vec![ada[0].clone()], None));
        assert!(store.list(&UserId::from("nobody".to_owned()), &PageRequest::first(5)).await.unwrap().items.is_empty());
    }
}

#[tokio::test]
async fn embedded_notifications_page_per_user_newest_first() {
    notification_store_suite::each_user_pages_their_notifications_newest_first(EmbeddedNotificationStore::new(
        EmbeddedDb::in_memory(),
    ))
    .await;
}

#[tokio::test]
async fn dynamodb_notifications_page_per_user_newest_first() {
    notification_store_suite::each_user_pages_their_notifications_newest_first(moto::notification_store().await).await;
}

#[tokio::test]
async fn the_local_scheduler_keeps_schedules_across_a_restart_and_fires_the_overdue_at_once() {
    let dir = std::env::temp_dir().join(unique_name("scheduler"));
    let path = dir.join("ticketing.redb");
    let (overdue, later) = (OrderId::generate(), OrderId::generate());
    {
        let scheduler = EmbeddedScheduler::new(EmbeddedDb::open(&path).unwrap());
        scheduler.schedule(&overdue, Utc::now() - chrono::Duration::seconds(30)).await.unwrap();
        scheduler.schedule(&later, Utc::now() + chrono::Duration::hours(1)).await.unwrap();
        scheduler.schedule(&OrderId::generate(), Utc::now()).await.unwrap();
        let cancelled = OrderId::generate();
        scheduler.schedule(&cancelled, Utc::now()).await.unwrap();
        scheduler.cancel(&cancelled).await.unwrap();
    }
    let scheduler = EmbeddedScheduler::new(EmbeddedDb::open(&path).unwrap());
    assert_eq!(scheduler.pending().await.unwrap().len(), 3, "pending schedules survived the restart");

    let (fired, mut firings) = tokio::sync::mpsc::unbounded_channel();
    let runner = tokio::spawn(run_schedules(scheduler.clone(), move |order| {
        let fired = fired.clone();
        async move {
            fired.send(order).unwrap();
            Ok(())
        }
    }));
    let first = tokio::time::timeout(PATIENCE, firings.recv()).await.unwrap().unwrap();
    let second = tokio::time::timeout(PATIENCE, firings.recv()).await.unwrap().unwrap();
    assert_eq!(first, overdue, "the most overdue fires first");
    assert_ne!(second, later);
    let pending = eventually("fired schedules to be removed", || async {
        let pending = scheduler.pending().await.unwrap();
        (pending.len() == 1).then_some(pending)
    })
    .await;
    assert_eq!(pending[0].0, later, "the future schedule waits");
    runner.abort();
    let _ = runner.await;
    drop(scheduler);
    std::fs::remove_dir_all(dir).unwrap();
}
