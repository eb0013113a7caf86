//! The local counterpart of EventBridge Scheduler: fires each pending schedule of the
//! embedded store when it is due (the overdue ones at once, after a restart too), and runs
//! the sweep on its rate, as the sweep function's schedule does.

use std::future::Future;
use std::time::Duration;

use chrono::Utc;
use domain::Result;
use domain::ids::OrderId;
use domain::ports::ExpiryScheduler;
use embedded::{EmbeddedStore, Schedule};

/// Fires each schedule when it is due by calling `fire` with its order id, and removes it
/// once `fire` succeeds. A failure is retried with backoff, like Scheduler's retry policy,
/// and dropped with an error log after the last attempt.
pub async fn run_schedules<F, Fut>(store: EmbeddedStore, fire: F)
where
    F: Fn(OrderId) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    const ATTEMPTS: u32 = 10;
    let mut changes = store.changes();
    loop {
        changes.borrow_and_update();
        let next = match store.schedules().await {
            Ok(schedules) => schedules.into_iter().next(),
            Err(error) => {
                tracing::error!(error = ?error, "reading schedules failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let Some((order, schedule)) = next else {
            let _ = changes.changed().await;
            continue;
        };
        let wait = (schedule.at - Utc::now()).to_std().unwrap_or_default();
        if !wait.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = changes.changed() => {}
            }
            continue;
        }
        let outcome = match fire(order.clone()).await {
            Ok(()) => store.cancel(&order).await,
            Err(error) if schedule.attempts + 1 < ATTEMPTS => {
                tracing::warn!(error = ?error, order = %order, "expiry failed; retrying");
                let backoff = chrono::Duration::milliseconds(100 << schedule.attempts.min(10));
                store
                    .put_schedule(&order, &Schedule { at: Utc::now() + backoff, attempts: schedule.attempts + 1 })
                    .await
            }
            Err(error) => {
                tracing::error!(error = ?error, order = %order, "expiry failed {ATTEMPTS} times; dropped");
                store.cancel(&order).await
            }
        };
        if let Err(error) = outcome {
            tracing::error!(error = ?error, "updating a schedule failed");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

/// Runs `sweep` every `period`, from now, logging what fails.
pub async fn sweep_every<F, Fut>(period: Duration, sweep: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<usize>>,
{
    let mut ticks = tokio::time::interval(period);
    loop {
        ticks.tick().await;
        if let Err(error) = sweep().await {
            tracing::error!(error = ?error, "the sweep failed");
        }
    }
}
