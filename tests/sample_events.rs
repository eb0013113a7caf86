//! Every sample in `events/` (the files `sam local invoke -e` takes) is a valid API Gateway
//! HTTP API event that its function answers with the status its file name starts with.

use std::path::{Path, PathBuf};

use chrono::Utc;
use domain::change::{Change, Write};
use domain::config::Secret;
use domain::entities::{Email, Order, OrderStatus, OrderedTicket, Password, Ticket, TicketStatus};
use domain::events::EventType;
use domain::ids::{OrderId, TicketId, UserId};
use domain::money::Money;
use domain::page::PageRequest;
use domain::ports::{ChangeStore, NotificationStore};
use domain::users;
use edge::auth::SessionVerifier;
use edge::passwords::Argon2Passwords;
use embedded::{EmbeddedStore, TestGateway};
use local::{FALLBACK, Functions, LocalConfig, ROUTES};
use serde_json::Value;
use ticketing_tests::repo_root;

/// The account the samples sign in to, as `sam local invoke` users create it first.
const SAMPLE_EMAIL: &str = "ada@example.com";
const SAMPLE_PASSWORD: &str = "correct horse battery";
/// The user the sample session tokens name.
const SAMPLE_USER: &str = "01KADA0000000000000000SAMPLE";

/// The tickets the samples refer to: the sample user's, someone else's, and a reserved one.
const SAMPLE_TICKETS: [(&str, &str, TicketStatus); 3] = [
    ("01KB0SAMP1E0T1CKET0000000A", SAMPLE_USER, TicketStatus::Available),
    ("01KB0SAMP1E0T1CKET0000000B", "01KGRACE000000000000000SAMPLE", TicketStatus::Available),
    ("01KB0SAMP1E0T1CKET0000000C", SAMPLE_USER, TicketStatus::Reserved),
];

/// A store holding what the samples expect to find.
async fn seeded_store() -> EmbeddedStore {
    let store = EmbeddedStore::in_memory();
    let (email, password) = (Email::parse(SAMPLE_EMAIL).unwrap(), Password::parse(SAMPLE_PASSWORD).unwrap());
    users::sign_up(&store, &Argon2Passwords, email, password, Utc::now()).await.unwrap();
    let mut change = Change::default();
    for (id, seller, status) in SAMPLE_TICKETS {
        let reserved = status == TicketStatus::Reserved;
        let ticket = Ticket {
            id: TicketId::parse(id).expect("sample ticket ids are ULIDs"),
            title: "Sample concert".to_owned(),
            price: Money::from_minor(4500),
            currency: "usd".to_owned(),
            date: None,
            venue: None,
            user_id: UserId::from(seller),
            status,
            order_id: reserved.then(|| OrderId::parse(SAMPLE_ORDERS[0].0).unwrap()),
            reserved_until: reserved.then(|| "2100-01-01T00:00:00Z".parse().unwrap()),
            version: 0,
            created_at: Utc::now(),
        };
        change.events.push(ticket.event(EventType::TicketCreated, Utc::now()).unwrap());
        change.tickets.push(Write::Insert(ticket));
    }
    for (id, buyer, status) in SAMPLE_ORDERS {
        change.orders.push(Write::Insert(Order {
            id: OrderId::parse(id).expect("sample order ids are ULIDs"),
            user_id: UserId::from(buyer),
            ticket: OrderedTicket {
                id: TicketId::parse(SAMPLE_TICKETS[2].0).unwrap(),
                title: "Sample concert".to_owned(),
                price: Money::from_minor(4500),
                currency: "usd".to_owned(),
                date: None,
            },
            status,
            expires_at: "2100-01-01T00:00:00Z".parse().unwrap(),
            cancel_reason: None,
            refunded_at: None,
            version: 0,
            created_at: Utc::now(),
        }));
    }
    store.commit(&change).await.unwrap();
    store
}

/// Sample folders that are not an HTTP function's: the domain events as the bus delivers
/// them and the outbox relay's stream events (checked in `outbox_relay.rs`), and the
/// consumers' and the expiry's inputs (checked below).
const OTHER_SAMPLES: [&str; 6] =
    ["bus", "outbox-relay", "expiration-fire", "expiration-schedule", "expiration-sweep", "notifications-consumer"];

/// The orders the samples name: the sample user's (holding the reserved ticket), someone
/// else's, and a paid one.
const SAMPLE_ORDERS: [(&str, &str, OrderStatus); 3] = [
    ("01KB0SAMP1E00RDER000000000", SAMPLE_USER, OrderStatus::Created),
    ("01KB0SAMP1E00RDER00000000B", "01KGRACE000000000000000SAMPLE", OrderStatus::Created),
    ("01KB0SAMP1E00RDER00000000P", SAMPLE_USER, OrderStatus::Complete),
];

fn functions_with_samples() -> Vec<(String, Vec<PathBuf>)> {
    let mut functions: Vec<_> = std::fs::read_dir(repo_root().join("events"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir() && !OTHER_SAMPLES.iter().any(|other| path.ends_with(other)))
        .map(|dir| {
            let mut samples: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|entry| entry.unwrap().path()).collect();
            samples.sort();
            (dir.file_name().unwrap().to_string_lossy().into_owned(), samples)
        })
        .collect();
    functions.sort();
    functions
}

/// A secret of the environment `sam local invoke` runs `function` with.
fn sam_local_env(function: &str, name: &str) -> Secret {
    let env: Value =
        serde_json::from_str(&std::fs::read_to_string(repo_root().join("events/sam-local-env.json")).unwrap()).unwrap();
    Secret::new(env[function][name].as_str().unwrap_or_else(|| panic!("{function} {name} in sam-local-env.json")))
}

/// What verifies the sample tokens: the public key `sam local invoke` gives the functions.
fn sam_local_sessions() -> SessionVerifier {
    SessionVerifier::new(sam_local_env("UsersCurrentuserFunction", "SESSION_PUBLIC_KEYS").expose()).unwrap()
}

/// A webhook sample's Stripe signature is good for five minutes: sign its body again now.
fn signed_now(event: &str) -> String {
    let mut event: Value = serde_json::from_str(event).unwrap();
    let body = event["body"].as_str().unwrap().to_owned();
    let signature = stripe_adapter::webhook::sign(
        body.as_bytes(),
        &sam_local_env("PaymentsWebhookFunction", "STRIPE_WEBHOOK_SECRET"),
        Utc::now().timestamp(),
    );
    event["headers"]["stripe-signature"] = Value::String(signature);
    event.to_string()
}

fn expected_status(sample: &Path) -> u16 {
    let name = sample.file_name().unwrap().to_string_lossy();
    name.split('-').next().and_then(|status| status.parse().ok()).unwrap_or_else(|| {
        panic!("{name}: a sample's name starts with the status it expects, like 201-new-account.json")
    })
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
            if function == "payments-webhook" && expected_status(&sample) == 200 {
                event = signed_now(&event);
            }
            let request = lambda_http::request::from_str(&event)
                .unwrap_or_else(|e| panic!("{}: not an API Gateway HTTP API event: {e}", sample.display()));
            let config = LocalConfig { verifier: sessions.clone(), ..LocalConfig::for_tests() };
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
    let response =
        edge::sqs::handle_batch(batch, |event| expiration_schedule::handle(&store, &store, &gateway, &store, event))
            .await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(store.schedules().await.unwrap().len(), 1, "the order's expiry is scheduled");

    let batch = serde_json::from_str(&sample("notifications-consumer/order-cancelled.json")).expect("an SQS event");
    let response =
        edge::sqs::handle_batch(batch, |event| notifications_consumer::handle(&store, &store, &store, event)).await;
    assert!(response.batch_item_failures.is_empty());
    let user = UserId::from(SAMPLE_USER);
    let stored = store.list(&user, &PageRequest::first(5)).await.unwrap().items;
    assert_eq!(stored.iter().map(|n| n.kind.as_str()).collect::<Vec<_>>(), ["reservation.expired"]);

    // The sweep's schedule invokes it with a scheduled event, which it reads and ignores.
    let _: Value = serde_json::from_str(&sample("expiration-sweep/scheduled.json")).expect("a scheduled event");
    assert_eq!(expiration_sweep::handle(&store, &gateway).await.unwrap(), 0, "the samples' orders run to 2100");

    // The sample order's reservation runs to 2100: an expiry now is early, and refused.
    let input = serde_json::from_str(&sample("expiration-fire/expire-order.json")).expect("an expiry input");
    assert!(expiration_fire::handle(&store, &gateway, input).await.is_err());
}
