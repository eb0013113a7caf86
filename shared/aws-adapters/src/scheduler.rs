//! EventBridge Scheduler: one one-shot schedule per order, named after it, that invokes the
//! expiry function with `{"orderId": ...}` at the order's `expires_at`; and, in a group of
//! their own, one per payout that invokes the release function with the same input at the
//! payout's release time.

use anyhow::Context;
use aws_sdk_scheduler::Client;
use aws_sdk_scheduler::error::SdkError;
use aws_sdk_scheduler::operation::create_schedule::CreateScheduleError;
use aws_sdk_scheduler::operation::delete_schedule::DeleteScheduleError;
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, DeadLetterConfig, FlexibleTimeWindow, FlexibleTimeWindowMode, RetryPolicy, Target,
};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use domain::expiration::ExpirationInput;
use domain::ids::OrderId;
use domain::ports::{ExpirationScheduler, ReleaseScheduler};
use domain::{Error, Result};

use crate::resources::{ReleaseTarget, ScheduleTarget};

#[derive(Clone)]
pub struct EventBridgeScheduler {
    client: Client,
    target: ScheduleTarget,
}

impl EventBridgeScheduler {
    pub const RETRIES: i32 = 10;
    pub const MAX_EVENT_AGE_SECONDS: i32 = 3600;

    pub fn new(client: Client, target: ScheduleTarget) -> Self {
        Self { client, target }
    }

    /// `at(yyyy-mm-ddThh:mm:ss)` in UTC, rounded up to the second so it never fires early.
    pub fn expression(at: DateTime<Utc>) -> String {
        let second = TimeDelta::seconds(1);
        let floor = at.duration_trunc(second).unwrap_or(at);
        let at = if floor < at { floor + second } else { floor };
        format!("at({})", at.format("%Y-%m-%dT%H:%M:%S"))
    }
}

impl ExpirationScheduler for EventBridgeScheduler {
    async fn schedule(&self, order: &OrderId, at: DateTime<Utc>) -> Result<()> {
        self.create(order, at).await
    }

    async fn cancel(&self, order: &OrderId) -> Result<()> {
        let outcome = self.client.delete_schedule().name(order.as_str()).group_name(&self.target.group).send().await;
        match outcome {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if matches!(e.err(), DeleteScheduleError::ResourceNotFoundException(_)) => {
                Ok(())
            }
            Err(e) => Err(Error::internal(e, format!("deleting the schedule of {order}"))),
        }
    }
}

/// The payouts' schedules: an [`EventBridgeScheduler`] on the release target.
#[derive(Clone)]
pub struct PayoutScheduler(EventBridgeScheduler);

impl PayoutScheduler {
    /// How far ahead a release is scheduled at the least: a one-time schedule fires within
    /// the minute of its time, and one due already is released by the sweep or this.
    pub const LEAD_SECONDS: i64 = 60;

    pub fn new(client: Client, target: ReleaseTarget) -> Self {
        Self(EventBridgeScheduler::new(client, target.0))
    }
}

impl ReleaseScheduler for PayoutScheduler {
    async fn schedule_release(&self, order: &OrderId, at: DateTime<Utc>) -> Result<()> {
        self.0.create(order, at.max(Utc::now() + TimeDelta::seconds(Self::LEAD_SECONDS))).await
    }
}

impl EventBridgeScheduler {
    /// The one-shot schedule named after `order` in the target's group, invoking the target
    /// with `{"orderId": ...}` at `at`; one that exists already is left as it is.
    async fn create(&self, order: &OrderId, at: DateTime<Utc>) -> Result<()> {
        let input = serde_json::to_string(&ExpirationInput { order_id: order.to_string() })
            .map_err(|e| Error::internal(e, "encoding a schedule's input"))?;
        let target = Target::builder()
            .arn(&self.target.target_arn)
            .role_arn(&self.target.role_arn)
            .input(input)
            .retry_policy(
                RetryPolicy::builder()
                    .maximum_retry_attempts(Self::RETRIES)
                    .maximum_event_age_in_seconds(Self::MAX_EVENT_AGE_SECONDS)
                    .build(),
            )
            .dead_letter_config(DeadLetterConfig::builder().arn(&self.target.dead_letter_arn).build())
            .build()
            .context("building a schedule target")?;
        let window = FlexibleTimeWindow::builder().mode(FlexibleTimeWindowMode::Off).build().context("time window")?;
        let outcome = self
            .client
            .create_schedule()
            .name(order.as_str())
            .group_name(&self.target.group)
            .schedule_expression(Self::expression(at))
            .schedule_expression_timezone("UTC")
            .flexible_time_window(window)
            .action_after_completion(ActionAfterCompletion::Delete)
            .target(target)
            .send()
            .await;
        match outcome {
            Ok(_) => Ok(()),
            // Scheduled already: a redelivered event.
            Err(SdkError::ServiceError(e)) if matches!(e.err(), CreateScheduleError::ConflictException(_)) => Ok(()),
            Err(e) => Err(Error::internal(e, format!("scheduling {order} in {}", self.target.group))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expression_is_a_one_shot_at_the_next_whole_second() {
        let at: DateTime<Utc> = "2026-11-26T10:15:00Z".parse().unwrap();
        assert_eq!(EventBridgeScheduler::expression(at), "at(2026-11-26T10:15:00)");
        let later: DateTime<Utc> = "2026-11-26T10:15:00.001Z".parse().unwrap();
        assert_eq!(EventBridgeScheduler::expression(later), "at(2026-11-26T10:15:01)", "never early");
    }
}
