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

pub use bus::{DurableBus, Retry, SqsHandler, Subscription, deliver};
pub use config::{LOCAL_CONNECT_WEBHOOK_SECRET, LOCAL_WEBHOOK_SECRET, LocalConfig, Storage};
pub use functions::{Functions, Gateway, Webhook};
pub use relay::relay_outbox;
pub use routes::{DEAD_LETTERS, FALLBACK, MAIL, MAILBOX, ONBOARDING, REDRIVE, ROUTES, Route, WEB_FILES, router, serve};
pub use scheduler::{run_schedules, sweep_every};

use domain::expiration::{self, ExpirationInput};

/// The event consumers, each with the event types its EventBridge rule routes to its
/// queue in `template.yaml`.
pub fn subscriptions(functions: &Functions) -> Vec<Subscription> {
    let (expiration, notifications, payouts) = (functions.clone(), functions.clone(), functions.clone());
    vec![
        Subscription {
            consumer: "expiration-schedule".to_owned(),
            types: expiration::CONSUMES.to_vec(),
            handler: Arc::new(move |batch| {
                let functions = expiration.clone();
                Box::pin(async move {
                    let (store, gateway) = (functions.store(), functions.gateway());
                    edge::deliveries::handle_batch(batch, |event| {
                        expiration_schedule::handle(store, store, gateway, store, event)
                    })
                    .await
                })
            }),
        },
        Subscription {
            consumer: "notifications-consumer".to_owned(),
            types: domain::notifications::CONSUMES.to_vec(),
            handler: Arc::new(move |batch| {
                let functions = notifications.clone();
                Box::pin(async move {
                    let store = functions.store();
                    edge::deliveries::handle_batch(batch, |event| {
                        notifications_consumer::handle((store, store, store), functions.mail_reservations(), event)
                    })
                    .await
                })
            }),
        },
        Subscription {
            consumer: "payouts-schedule".to_owned(),
            types: domain::payouts::CONSUMES.to_vec(),
            handler: Arc::new(move |batch| {
                let functions = payouts.clone();
                Box::pin(async move {
                    let store = functions.store();
                    edge::deliveries::handle_batch(batch, |event| payouts_schedule::handle(store, store, event)).await
                })
            }),
        },
    ]
}

/// How often the runner releases the payouts due.
pub const RELEASE_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// How often the runner's mail sender reads the notifications queued for it.
pub const MAIL_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// How often the runner reconciles with the payment gateway (deployed: every hour).
pub const RECONCILE_EVERY: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Starts what AWS does on its own, as loops of this process: committed changes' outbox
/// events are relayed to a durable bus that queues them for `subscriptions` and delivers
/// them with retries; the scheduler fires each order's expiry on time (the overdue ones at
/// once after a restart), and each payout's release; a sweep expires, every minute, the open
/// orders whose expiry never ran; every [`RELEASE_EVERY`] the payouts' sweep releases and
/// finishes what is due; and every [`RECONCILE_EVERY`]
/// the gateway's events are reconciled.
pub fn start_event_flow(functions: &Functions, subscriptions: Vec<Subscription>, retry: Retry) {
    let store = functions.store().clone();
    // This process is the store's one user: a claim in progress was a killed process's.
    let recovering = store.clone();
    let claims = tokio::spawn(async move { recovering.release_abandoned_claims().await });
    tokio::spawn(relay_outbox(store.clone(), DurableBus::new(store.clone(), &subscriptions)));
    let delivering = store.clone();
    tokio::spawn(async move {
        match claims.await {
            Ok(Ok(0)) => {}
            Ok(Ok(released)) => tracing::warn!(released, "claims of a process that stopped were released"),
            outcome => tracing::error!(?outcome, "releasing abandoned claims failed; their leases will run out"),
        }
        for subscription in subscriptions {
            tokio::spawn(deliver(delivering.clone(), subscription, retry));
        }
    });
    let expiries = functions.clone();
    let releases = functions.clone();
    tokio::spawn(run_schedules(store.releases(), move |order| {
        let functions = releases.clone();
        async move {
            let input = payouts_release::ReleaseInput { order_id: order.to_string() };
            payouts_release::handle(functions.store(), functions.gateway(), input).await.map(|_| ())
        }
    }));
    tokio::spawn(run_schedules(store.expiries(), move |order| {
        let functions = expiries.clone();
        async move {
            let input = ExpirationInput { order_id: order.to_string() };
            expiration_fire::handle(functions.store(), functions.gateway(), input).await.map(|_| ())
        }
    }));
    let reconciler = functions.clone();
    tokio::spawn(async move {
        // First after one period: a fresh start has nothing the webhook could have missed.
        tokio::time::sleep(RECONCILE_EVERY).await;
        sweep_every(RECONCILE_EVERY, move || {
            let functions = reconciler.clone();
            async move {
                let store = functions.store();
                payments_reconcile::handle(store, functions.gateway(), store).await.map(|found| found.applied)
            }
        })
        .await
    });
    // Payouts: the sweep every second, not every ten minutes as deployed, so that what it
    // finishes (a reversal after a refund, a release after a hold came off) shows at once.
    let releaser = functions.clone();
    tokio::spawn(sweep_every(RELEASE_EVERY, move || {
        let functions = releaser.clone();
        async move {
            let swept = domain::payouts::sweep(functions.store(), functions.gateway(), chrono::Utc::now()).await?;
            Ok(swept.done)
        }
    }));
    // The mail sender reads what the notifications consumer queued, as the outbound queue
    // feeds it when deployed.
    let mailer = functions.clone();
    tokio::spawn(sweep_every(MAIL_EVERY, move || {
        let functions = mailer.clone();
        async move { functions.send_mail().await }
    }));
    let sweeper = functions.clone();
    tokio::spawn(sweep_every(std::time::Duration::from_secs(60), move || {
        let functions = sweeper.clone();
        async move { expiration_sweep::handle(functions.store(), functions.gateway(), functions.store()).await }
    }));
}
