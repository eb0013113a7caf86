//! Every sample in `events/` (the files `sam local invoke -e` takes) is a valid API Gateway
//! HTTP API event that its function answers with the status its file name starts with.

use domain::entities::{CancelReason, OrderStatus};
use domain::ids::{OrderId, UserId};
use domain::mail::MailReservations;
use domain::page::PageRequest;
use domain::ports::{NotificationStore, OrderStore, PayoutStore};
use edge::auth::SessionVerifier;
use embedded::{EmbeddedStore, TestGateway};
use local::{FALLBACK, Functions, LocalConfig, ROUTES};
use serde_json::Value;
use ticketing_tests::repo_root;
use ticketing_tests::samples::{
    LAPSED_ORDER, PAID_ORDER, SAMPLE_USER, WEBHOOKS, expected_status, functions_with_samples, sam_local_env, seed,
    signed_now,
};

/// An embedded store holding what the samples expect to find.
async fn seeded_store() -> EmbeddedStore {
    let store = EmbeddedStore::in_memory();
    seed(&store, &store, &store).await;
    store
}

/// What verifies the sample tokens: the public key `sam local invoke` gives the functions.
fn sam_local_sessions() -> SessionVerifier {
    SessionVerifier::new(sam_local_env("UsersCurrentuserFunction", "SESSION_PUBLIC_KEYS").expose()).unwrap()
}

#[test]
fn every_function_has_samples_and_every_sample_folder_is_a_function() {
    let with_samples: Vec<String> = functions_with_samples().into_iter().map(|(function, _)| function).collect();
    let mut functions: Vec<String> =
        ROUTES.iter().map(|route| route.function).chain([FALLBACK]).map(str::to_owned).collect();
    functions.sort();
    assert_eq!(with_samples, functions);
}

#[tokio::test]
async fn every_sample_event_gets_the_status_its_name_expects() {
    let sessions = sam_local_sessions();
    let mut checked = 0;
    for (function, samples) in functions_with_samples() {
        for sample in samples {
            let db = seeded_store().await;
            let mut event = std::fs::read_to_string(&sample).unwrap();
            if WEBHOOKS.iter().any(|(name, ..)| *name == function) && expected_status(&sample) == 200 {
                event = signed_now(&function, &event);
            }
            let request = lambda_http::request::from_str(&event)
                .unwrap_or_else(|e| panic!("{}: not an API Gateway HTTP API event: {e}", sample.display()));
            // The samples are what a deployed function answers: its limits.
            let throttles = domain::users::Throttles::default();
            let config = LocalConfig { verifier: sessions.clone(), throttles, ..LocalConfig::for_tests() };
            let response =
                Functions::new(db, &config).unwrap().invoke(&function, request).await.expect("a known function");

            let bytes = response.body().as_ref();
            let body: Value =
                if bytes.is_empty() { Value::Null } else { serde_json::from_slice(bytes).expect("a JSON body") };
            assert_eq!(response.status().as_u16(), expected_status(&sample), "{}: {body}", sample.display());
            if function == "users-currentuser" {
                let signed_in = !sample.to_string_lossy().contains("signed-out");
                assert_eq!(!body["currentUser"].is_null(), signed_in, "{}: {body}", sample.display());
            }
            checked += 1;
        }
    }
    assert!(checked > ROUTES.len(), "only {checked} samples checked");
}

fn sample(path: &str) -> String {
    std::fs::read_to_string(repo_root().join("events").join(path)).unwrap()
}

#[tokio::test]
async fn the_consumer_and_expiry_samples_run_through_their_handlers() {
    let store = seeded_store().await;

    let batch = serde_json::from_str(&sample("expiration-schedule/order-created.json")).expect("an SQS event");
    let gateway = TestGateway::new();
    let response = edge::deliveries::handle_batch(batch, |event| {
        expiration_schedule::handle(&store, &store, &gateway, &store, event)
    })
    .await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(store.schedules().await.unwrap().len(), 1, "the order's expiry is scheduled");
    let batch = serde_json::from_str(&sample("expiration-schedule/order-cancelled.json")).expect("an SQS event");
    let response = edge::deliveries::handle_batch(batch, |event| {
        expiration_schedule::handle(&store, &store, &gateway, &store, event)
    })
    .await;
    assert!(response.batch_item_failures.is_empty());
    assert!(store.schedules().await.unwrap().is_empty(), "the cancelled order's expiry is unscheduled");

    let batch = serde_json::from_str(&sample("notifications-consumer/order-cancelled.json")).expect("an SQS event");
    let response = edge::deliveries::handle_batch(batch, |event| {
        notifications_consumer::handle((&store, &store, &store), MailReservations(true), event)
    })
    .await;
    assert!(response.batch_item_failures.is_empty());
    let user = UserId::from(SAMPLE_USER);
    let stored = NotificationStore::list(&store, &user, &PageRequest::first(5)).await.unwrap().items;
    assert_eq!(stored.iter().map(|n| n.kind.as_str()).collect::<Vec<_>>(), ["reservation.expired"]);

    // The sweep's schedule invokes it with a scheduled event, which it reads and ignores;
    // it expires the one order whose reservation lapsed unexpired.
    let _: Value = serde_json::from_str(&sample("expiration-sweep/scheduled.json")).expect("a scheduled event");
    assert_eq!(expiration_sweep::handle(&store, &gateway, &store).await.unwrap(), 1, "the lapsed order");
    let lapsed = OrderStore::get(&store, &OrderId::parse(LAPSED_ORDER).unwrap()).await.unwrap().unwrap();
    assert_eq!(lapsed.status, OrderStatus::Cancelled);

    // The reconciliation's schedule invokes it with a scheduled event, which it reads and
    // ignores; the test gateway has nothing the webhook missed.
    let _: Value = serde_json::from_str(&sample("payments-reconcile/scheduled.json")).expect("a scheduled event");
    let found = payments_reconcile::handle(&store, &gateway, &store).await.unwrap();
    assert_eq!((found.applied, found.failed), (0, 0));

    // The sale's payout is scheduled for its release time, once however often it is told.
    for _ in 0..2 {
        let batch = serde_json::from_str(&sample("payouts-schedule/order-completed.json")).expect("an SQS event");
        let response =
            edge::deliveries::handle_batch(batch, |event| payouts_schedule::handle(&store, &store, event)).await;
        assert!(response.batch_item_failures.is_empty());
    }
    let paid = OrderId::parse(PAID_ORDER).unwrap();
    let release_at = store.payout(&paid).await.unwrap().unwrap().release_at;
    let releases = store.releases().schedules().await.unwrap();
    assert_eq!(
        releases.iter().map(|(order, schedule)| (order, schedule.at)).collect::<Vec<_>>(),
        [(&paid, release_at)]
    );

    // Its schedule fires for the same order: expired already, nothing more happens.
    let input = serde_json::from_str(&sample("expiration-fire/expire-order.json")).expect("an expiry input");
    assert!(expiration_fire::handle(&store, &gateway, input).await.is_ok());
}

#[tokio::test]
async fn an_order_created_already_lapsed_is_expired_in_the_delivery_and_its_schedule_fires_in_time() {
    let store = seeded_store().await;
    let gateway = TestGateway::new();
    let batch = serde_json::from_str(&sample("expiration-schedule/order-created-lapsed.json")).expect("an SQS event");
    let response = edge::deliveries::handle_batch(batch, |event| {
        expiration_schedule::handle(&store, &store, &gateway, &store, event)
    })
    .await;
    assert!(response.batch_item_failures.is_empty());
    assert!(store.schedules().await.unwrap().is_empty(), "nothing to schedule");
    let id = OrderId::parse(LAPSED_ORDER).unwrap();
    assert_eq!(OrderStore::get(&store, &id).await.unwrap().unwrap().status, OrderStatus::Cancelled);

    let store = seeded_store().await;
    let input = serde_json::from_str(&sample("expiration-fire/expire-order.json")).expect("an expiry input");
    expiration_fire::handle(&store, &gateway, input).await.unwrap();
    let order = OrderStore::get(&store, &id).await.unwrap().unwrap();
    assert_eq!((order.status, order.cancel_reason), (OrderStatus::Cancelled, Some(CancelReason::Expired)));
}
