//! Reservation expiry and notifications: end to end on the local runner, the Scheduler and
//! SQS adapters on moto server, and the notification stores on both adapters.

use std::time::Duration;

use aws_adapters::{
    EventBridgeScheduler, NotificationsQueue, PayoutScheduler, ReleaseTarget, ScheduleTarget, SqsNotificationSender,
};
use aws_lambda_events::event::sqs::SqsEvent;
use chrono::Utc;
use domain::change::{Change, Write};
use domain::entities::{CancelReason, HoldReason, Notification, Order, OrderStatus, Payout, PayoutStatus};
use domain::events::{Event, EventType};
use domain::expiration::{Expiration, ExpirationInput};
use domain::ids::{OrderId, UserId};
use domain::mail::MailReservations;
use domain::orders::{self, ReservationTimeout};
use domain::page::PageRequest;
use domain::ports::{ChangeStore, ExpirationScheduler, NotificationSender, NotificationStore, OrderStore, PayoutStore};
use embedded::{EmbeddedStore, TestGateway};
use local::run_schedules;
use reqwest::Method;
use serde_json::Value;
use ticketing_tests::{PATIENCE, TestApp, eventually, json, moto, spawn_app_configured, unique_name};

/// The notices of `cookie`'s user about orders (not those about the account, as the one that
/// asks a new account to verify its address).
async fn notifications(app: &TestApp, cookie: &str) -> Vec<Value> {
    let list = app.with_session(Method::GET, "/api/notifications", cookie, None).await.body;
    list.as_array().into_iter().flatten().filter(|notice| notice["orderId"] != "").cloned().collect()
}

#[tokio::test]
async fn an_unpaid_reservation_expires_on_its_own_and_the_ticket_sells_again() {
    let mut config = local::LocalConfig::for_tests();
    config.reservation_timeout = ReservationTimeout(Duration::from_secs(2));
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
    let app = spawn_app_configured(local::LocalConfig::for_tests(), Vec::new()).await;
    assert_eq!(app.get("/api/notifications").await.status, 401);
    let cookie = app.session("someone@example.com").await;
    let reply = app.with_session(Method::GET, "/api/notifications?limit=0", &cookie, None).await;
    assert_eq!(reply.status, 400);
}

fn order_fixture(expires_in: Duration) -> Order {
    let ticket = domain::testing::ticket("seller", "Concert");
    Order::place(UserId::from("buyer"), &ticket, Utc::now(), expires_in).unwrap()
}

/// `event` as its consumer's queue delivers it.
fn sqs_batch(event: &Event) -> SqsEvent {
    edge::deliveries::batch_of(event, "us-east-1")
}

fn order_event(kind: EventType, order: &Order) -> Event {
    order.event(kind, Utc::now()).unwrap()
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
    let ((store, _), inbox, gateway) = (moto::stores().await, moto::inbox().await, TestGateway::new());
    let order = order_fixture(Duration::from_secs(15 * 60));
    let created = order_event(EventType::OrderCreated, &order);
    let consume = |event: &Event| {
        edge::deliveries::handle_batch(sqs_batch(event), |event| {
            expiration_schedule::handle(&scheduler, &store, &gateway, &inbox, event)
        })
    };

    for _ in 0..2 {
        let response = consume(&created).await;
        assert!(response.batch_item_failures.is_empty(), "a redelivery is harmless");
    }
    scheduler.schedule(&order.id, order.expires_at).await.expect("scheduling again is harmless");
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
    let input: ExpirationInput = serde_json::from_str(scheduled.input().expect("an input")).unwrap();
    assert_eq!(input, ExpirationInput { order_id: order.id.to_string() });

    let cancelled = order_event(EventType::OrderCancelled, &order.cancel(CancelReason::User));
    for _ in 0..2 {
        let response = consume(&cancelled).await;
        assert!(response.batch_item_failures.is_empty(), "a missing schedule is not an error");
    }
    assert!(
        client.get_schedule().name(order.id.as_str()).group_name(&group).send().await.is_err(),
        "gone after a cancel"
    );
}

#[tokio::test]
async fn the_expiry_handler_run_with_a_schedules_input_expires_the_order() {
    let (store, _) = moto::stores().await;
    let ticket = domain::testing::ticket("seller", "Concert");
    let created = ticket.event(EventType::TicketCreated, Utc::now()).unwrap();
    store
        .commit(&Change { tickets: vec![Write::Insert(ticket.clone())], events: vec![created], ..Change::default() })
        .await
        .unwrap();
    let then = Utc::now() - chrono::Duration::minutes(16);
    let order = orders::place(
        &store,
        UserId::from("buyer"),
        ticket.id.as_str(),
        Duration::from_secs(900),
        domain::orders::ReservationLimit::default(),
        then,
    )
    .await
    .unwrap();

    let input: ExpirationInput = serde_json::from_value(json!({ "orderId": order.id.to_string() })).unwrap();
    let gateway = TestGateway::new();
    assert_eq!(expiration_fire::handle(&store, &gateway, input.clone()).await.unwrap(), Expiration::Expired);
    assert_eq!(OrderStore::get(&store, &order.id).await.unwrap().unwrap().status, OrderStatus::Cancelled);
    assert_eq!(expiration_fire::handle(&store, &gateway, input).await.unwrap(), Expiration::Ignored, "a repeat");
}

/// A new reservation's notice is listed for its account either way, and handed to delivery
/// (the outbound queue the mail sender reads) only when reservations are mailed; a
/// cancellation's always is.
#[tokio::test]
async fn a_new_reservations_notice_goes_to_delivery_only_when_reservations_are_mailed() {
    for (reservations, sent) in [(false, 0), (true, 1)] {
        let store = EmbeddedStore::in_memory();
        let order = order_fixture(Duration::from_secs(15 * 60));
        let consume =
            |event| notifications_consumer::handle((&store, &store, &store), MailReservations(reservations), event);
        consume(order_event(EventType::OrderCreated, &order)).await.unwrap();
        let listed = NotificationStore::list(&store, &order.user_id, &PageRequest::first(10)).await.unwrap().items;
        assert_eq!(listed.iter().map(|notice| notice.kind.as_str()).collect::<Vec<_>>(), ["reservation.created"]);
        assert_eq!(store.sent_notifications().await.unwrap(), sent, "reservations mailed: {reservations}");
        consume(order_event(EventType::OrderCancelled, &order.cancel(CancelReason::User))).await.unwrap();
        assert_eq!(store.sent_notifications().await.unwrap(), sent + 1, "a cancellation's notice is delivered");
    }
}

#[tokio::test]
async fn the_notifications_consumer_records_once_and_sends_to_the_outbound_queue() {
    let (store, inbox) = (moto::notification_store().await, moto::inbox().await);
    let queue_url = moto::fifo_queue("outbound").await;
    let sqs = aws_sdk_sqs::Client::new(&moto::sdk_config().await);
    let sender = SqsNotificationSender::new(sqs, &NotificationsQueue(queue_url.clone()));
    let order = order_fixture(Duration::from_secs(15 * 60));
    let created = order_event(EventType::OrderCreated, &order);
    let consume = || {
        edge::deliveries::handle_batch(sqs_batch(&created), |event| {
            notifications_consumer::handle((&store, &sender, &inbox), MailReservations(true), event)
        })
    };

    let response = consume().await;
    assert!(response.batch_item_failures.is_empty());
    consume().await;
    let notification = store.list(&order.user_id, &PageRequest::first(10)).await.unwrap().items[0].clone();
    // Sent again (a delivery that crashed after sending, before completing): still one message.
    sender.send(&notification).await.unwrap();
    let sent = moto::receive(&queue_url, 2, 3).await;
    assert_eq!(sent.len(), 1, "one outbound message per notification");
    let notification: Notification = serde_json::from_str(sent[0].body().unwrap()).unwrap();
    assert_eq!((notification.id.as_str(), notification.kind.as_str()), (created.id.as_str(), "reservation.created"));
    assert_eq!(notification.user_id, order.user_id);
    assert!(notification.message.contains("Concert"), "{}", notification.message);

    let stored = store.list(&order.user_id, &PageRequest::first(10)).await.unwrap();
    assert_eq!(stored.items, vec![notification], "a redelivery records nothing new");
}

#[tokio::test]
async fn the_local_scheduler_keeps_schedules_across_a_restart_and_fires_the_overdue_at_once() {
    let dir = std::env::temp_dir().join(unique_name("scheduler"));
    let path = dir.join("ticketing.redb");
    let (overdue, later) = (OrderId::generate(), OrderId::generate());
    {
        let scheduler = EmbeddedStore::open(&path).unwrap();
        scheduler.schedule(&overdue, Utc::now() - chrono::Duration::seconds(30)).await.unwrap();
        scheduler.schedule(&later, Utc::now() + chrono::Duration::hours(1)).await.unwrap();
        scheduler.schedule(&OrderId::generate(), Utc::now()).await.unwrap();
        let cancelled = OrderId::generate();
        scheduler.schedule(&cancelled, Utc::now()).await.unwrap();
        scheduler.cancel(&cancelled).await.unwrap();
    }
    let scheduler = EmbeddedStore::open(&path).unwrap();
    assert_eq!(scheduler.schedules().await.unwrap().len(), 3, "pending schedules survived the restart");

    let (fired, mut firings) = tokio::sync::mpsc::unbounded_channel();
    let runner = tokio::spawn(run_schedules(scheduler.expiries(), move |order| {
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
        let pending = scheduler.schedules().await.unwrap();
        (pending.len() == 1).then_some(pending)
    })
    .await;
    assert_eq!(pending[0].0, later, "the future schedule waits");
    runner.abort();
    let _ = runner.await;
    drop(scheduler);
    std::fs::remove_dir_all(dir).unwrap();
}

/// A sale stored complete with its payout, released `release_in` from now; its
/// `order.completed`.
async fn sale(store: &impl ChangeStore, release_in: chrono::Duration) -> (Payout, Event) {
    let (complete, payout) = domain::testing::payouts::sold(store, "seller").await;
    let payout = Payout { release_at: Utc::now() + release_in, version: payout.version + 1, ..payout };
    store.commit(&Change { payouts: vec![Write::Update(payout.clone())], ..Change::default() }).await.unwrap();
    (payout, order_event(EventType::OrderCompleted, &complete))
}

#[tokio::test]
async fn the_payouts_consumer_schedules_each_release_on_scheduler_at_its_time_once() {
    let config = moto::sdk_config().await;
    let client = aws_sdk_scheduler::Client::new(&config);
    let group = unique_name("payouts");
    client.create_schedule_group().name(&group).send().await.expect("moto creates the group");
    let target = ScheduleTarget {
        group: group.clone(),
        target_arn: "arn:aws:lambda:us-east-1:123456789012:function:payouts-release".into(),
        role_arn: "arn:aws:iam::123456789012:role/scheduler".into(),
        dead_letter_arn: "arn:aws:sqs:us-east-1:123456789012:schedule-dlq".into(),
    };
    let scheduler = PayoutScheduler::new(client.clone(), ReleaseTarget(target.clone()));
    let (store, _) = moto::stores().await;
    let (payout, completed) = sale(&store, chrono::Duration::days(3)).await;
    let (soon, completed_soon) = sale(&store, chrono::Duration::seconds(5)).await;
    for event in [&completed, &completed, &completed_soon] {
        let response = edge::deliveries::handle_batch(sqs_batch(event), |event| {
            payouts_schedule::handle(&scheduler, &store.payouts, event)
        })
        .await;
        assert!(response.batch_item_failures.is_empty(), "a redelivery is harmless");
    }
    let schedule = |order: &OrderId| client.get_schedule().name(order.as_str()).group_name(&group).send();
    let scheduled = schedule(&payout.order_id).await.expect("the payout's schedule");
    assert_eq!(scheduled.schedule_expression(), Some(EventBridgeScheduler::expression(payout.release_at).as_str()));
    assert_eq!(scheduled.action_after_completion().map(|a| a.as_str()), Some("DELETE"));
    let invoked = scheduled.target().expect("a target");
    assert_eq!((invoked.arn(), invoked.role_arn()), (target.target_arn.as_str(), target.role_arn.as_str()));
    assert_eq!(invoked.dead_letter_config().and_then(|d| d.arn()), Some(target.dead_letter_arn.as_str()));
    let input: payouts_release::ReleaseInput = serde_json::from_str(invoked.input().expect("an input")).unwrap();
    assert_eq!(input.order_id, payout.order_id.as_str(), "what the release function reads");
    // Due within the minute: scheduled a minute ahead, as a one-time schedule fires within
    // the minute of its time.
    let expression = schedule(&soon.order_id).await.unwrap().schedule_expression().unwrap().to_owned();
    let at = chrono::NaiveDateTime::parse_from_str(&expression, "at(%Y-%m-%dT%H:%M:%S)").unwrap().and_utc();
    let lead = at - soon.release_at;
    assert!(lead > chrono::Duration::seconds(50) && lead <= chrono::Duration::seconds(62), "{expression}");
}

#[tokio::test]
async fn on_the_runner_a_payouts_schedule_runs_its_release_at_its_time_once() {
    let (store, gateway) = (EmbeddedStore::in_memory(), TestGateway::new());
    let (payout, completed) = sale(&store, chrono::Duration::milliseconds(300)).await;
    for _ in 0..2 {
        let response = edge::deliveries::handle_batch(sqs_batch(&completed), |event| {
            payouts_schedule::handle(&store, &store, event)
        })
        .await;
        assert!(response.batch_item_failures.is_empty());
    }
    let pending = store.releases().schedules().await.unwrap();
    assert_eq!(
        pending.iter().map(|(order, s)| (order, s.at)).collect::<Vec<_>>(),
        [(&payout.order_id, payout.release_at)]
    );

    let releasing = (store.clone(), gateway.clone());
    let runner = tokio::spawn(run_schedules(store.releases(), move |order| {
        let (store, gateway) = releasing.clone();
        async move {
            let input = payouts_release::ReleaseInput { order_id: order.to_string() };
            payouts_release::handle(&store, &gateway, input).await.map(|_| ())
        }
    }));
    // The seller has no payout account: the release that ran holds it for one.
    let held = eventually("the release", || async {
        let stored = store.payout(&payout.order_id).await.unwrap().unwrap();
        (stored.status == PayoutStatus::Held).then_some(stored)
    })
    .await;
    // The schedule is removed once its release has run (the hold is seen as it commits).
    let fired = eventually("the fired schedule's removal", || async {
        store.releases().schedules().await.unwrap().is_empty().then_some(())
    });
    fired.await;
    runner.abort();
    assert_eq!(held.held_for, [HoldReason::NoAccount]);
}
