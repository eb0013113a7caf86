//! The local counterpart of EventBridge Scheduler: fires each pending schedule of a group of
//! the embedded store (the expiries, the payout releases) when it is due (the overdue ones at once, after a restart too), and runs
//! the sweep on its rate, as the sweep function's schedule does.

use std::future::Future;
use std::time::Duration;

use chrono::Utc;
use domain::Result;
use domain::ids::OrderId;
use embedded::{Schedule, ScheduleGroup};

/// Fires each schedule when it is due by calling `fire` with its order id, and removes it
/// once `fire` succeeds. A failure is retried with backoff, like Scheduler's retry policy,
/// and dropped with an error log after the last attempt.
pub async fn run_schedules<F, Fut>(group: ScheduleGroup, fire: F)
where
    F: Fn(OrderId) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    const ATTEMPTS: u32 = 10;
    let mut changes = group.store().changes();
    loop {
        changes.borrow_and_update();
        let next = match group.schedules().await {
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
            Ok(()) => group.remove(&order).await,
            Err(error) if schedule.attempts + 1 < ATTEMPTS => {
                tracing::warn!(error = ?error, order = %order, "a schedule's target failed; retrying");
                let backoff = chrono::Duration::milliseconds(100 << schedule.attempts.min(10));
                group
                    .put_schedule(&order, &Schedule { at: Utc::now() + backoff, attempts: schedule.attempts + 1 })
                    .await
            }
            Err(error) => {
                tracing::error!(error = ?error, order = %order, "a schedule's target failed {ATTEMPTS} times; dropped");
                group.remove(&order).await
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
