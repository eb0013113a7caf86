//! The local event bus: what EventBridge rules, SQS queues and their consumer functions do
//! on AWS, in one process. Each subscription names the event types its rule matches; each
//! event is delivered to a subscriber's SQS handler as the message EventBridge would send,
//! asynchronously, retried with backoff while the handler reports it failed, and logged as
//! dead-lettered when the attempts run out.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use domain::Result;
use domain::events::{Event, EventType};
use domain::ports::EventPublisher;

pub type SqsHandler = Arc<dyn Fn(SqsEvent) -> Pin<Box<dyn Future<Output = SqsBatchResponse> + Send>> + Send + Sync>;

/// A consumer: its name, the event types routed to it, and its SQS batch handler.
#[derive(Clone)]
pub struct Subscription {
    pub consumer: String,
    pub types: Vec<EventType>,
    pub handler: SqsHandler,
}

/// How often, and how patiently, a failing delivery is retried.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub attempts: u32,
    pub first_delay: Duration,
}

impl Default for Retry {
    /// Five attempts over about three seconds, like a queue's `maxReceiveCount` of 5.
    fn default() -> Self {
        Self { attempts: 5, first_delay: Duration::from_millis(200) }
    }
}

#[derive(Clone, Default)]
pub struct InProcessBus {
    subscriptions: Arc<Vec<Subscription>>,
    retry: Retry,
}

impl InProcessBus {
    pub fn new(subscriptions: Vec<Subscription>, retry: Retry) -> Self {
        Self { subscriptions: Arc::new(subscriptions), retry }
    }
}

impl EventPublisher for InProcessBus {
    async fn publish(&self, events: &[Event]) -> Result<()> {
        for event in events {
            for subscription in self.subscriptions.iter().filter(|s| s.types.contains(&event.kind)) {
                tokio::spawn(deliver(subscription.clone(), event.clone(), self.retry));
            }
        }
        Ok(())
    }
}

async fn deliver(subscription: Subscription, event: Event, retry: Retry) {
    let mut delay = retry.first_delay;
    for attempt in 1..=retry.attempts {
        let batch = edge::sqs::batch_of(&event, "local");
        if (subscription.handler)(batch).await.batch_item_failures.is_empty() {
            return;
        }
        tracing::warn!(consumer = %subscription.consumer, event_id = %event.id, attempt, "delivery failed; retrying");
        if attempt < retry.attempts {
            tokio::time::sleep(delay).await;
            delay *= 2;
        }
    }
    tracing::error!(
        consumer = %subscription.consumer,
        event_id = %event.id,
        event_type = event.kind.as_str(),
        "delivery failed {} times; dead-lettered",
        retry.attempts
    );
}
