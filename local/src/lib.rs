//! The local runner: every function's handler, called in process at the paths and methods
//! the HTTP API routes to it in `template.yaml`, over the embedded adapters; and the
//! background work AWS does on its own (the outbox stream and relay, the event bus with
//! its rules and queues, Scheduler), as loops of this process.

mod bus;
mod config;
mod functions;
mod relay;
mod routes;
mod scheduler;

use std::sync::Arc;

pub use bus::{InProcessBus, Retry, SqsHandler, Subscription};
pub use config::{LOCAL_WEBHOOK_SECRET, LocalConfig, Storage};
pub use functions::{Functions, Gateway};
pub use relay::relay_outbox;
pub use routes::{FALLBACK, ROUTES, Route, router, serve};
pub use scheduler::run_schedules;

use domain::orders::{EXPIRATION_CONSUMES, ExpiryInput};
use embedded::{EmbeddedStore, LogSender};

/// The event consumers, each with the event types its EventBridge rule routes to its
/// queue in `template.yaml`.
pub fn subscriptions(store: &EmbeddedStore) -> Vec<Subscription> {
    let (scheduler, notifications) = (store.clone(), store.clone());
    vec![
        Subscription {
            consumer: "expiration-schedule".to_owned(),
            types: EXPIRATION_CONSUMES.to_vec(),
            handler: Arc::new(move |batch| {
                let scheduler = scheduler.clone();
                Box::pin(async move {
                    edge::sqs::handle_batch(batch, |event| expiration_schedule::handle(&scheduler, event)).await
                })
            }),
        },
        Subscription {
            consumer: "notifications-consumer".to_owned(),
            types: domain::notifications::CONSUMES.to_vec(),
            handler: Arc::new(move |batch| {
                let notifications = notifications.clone();
                Box::pin(async move {
                    edge::sqs::handle_batch(batch, |event| {
                        notifications_consumer::handle(&notifications, &LogSender, event)
                    })
                    .await
                })
            }),
        },
    ]
}

/// Starts the local event flow: committed changes' outbox events go to an in-process bus
/// that delivers them to `subscriptions`, asynchronously, with retries; and the local
/// scheduler fires each order's expiry on time (overdue ones at once after a restart).
pub fn start_event_flow(store: &EmbeddedStore, subscriptions: Vec<Subscription>, retry: Retry) {
    tokio::spawn(relay_outbox(store.clone(), InProcessBus::new(subscriptions, retry)));
    let expiries = store.clone();
    tokio::spawn(run_schedules(store.clone(), move |order| {
        let store = expiries.clone();
        async move { expiration_fire::handle(&store, ExpiryInput { order_id: order.to_string() }).await.map(|_| ()) }
    }));
}
