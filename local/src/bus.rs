//! The local event bus: what EventBridge rules and SQS queues do on AWS. Publishing routes
//! each event to the queue of every consumer whose rule matches its type, durably (the
//! deliveries are kept in the embedded store); a loop per consumer hands its due events to
//! its SQS handler, as the messages EventBridge would send, until the handler succeeds,
//! backing off between attempts; what exhausts its attempts becomes a dead letter, kept
//! until it is redriven.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chrono::Utc;
use domain::Result;
use domain::events::{Event, EventType};
use domain::ports::EventPublisher;
use embedded::{Delivery, EmbeddedStore};

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

/// Publishes to the consumers' queues in the embedded store.
#[derive(Clone)]
pub struct DurableBus {
    store: EmbeddedStore,
    routes: Arc<Vec<(String, Vec<EventType>)>>,
}

impl DurableBus {
    pub fn new(store: EmbeddedStore, subscriptions: &[Subscription]) -> Self {
        let routes = subscriptions.iter().map(|s| (s.consumer.clone(), s.types.clone())).collect();
        Self { store, routes: Arc::new(routes) }
    }
}

impl EventPublisher for DurableBus {
    async fn publish(&self, events: &[Event]) -> Result<()> {
        let deliveries = events
            .iter()
            .flat_map(|event| {
                self.routes
                    .iter()
                    .filter(|(_, types)| types.contains(&event.kind))
                    .map(|(consumer, _)| (consumer.clone(), event.clone()))
            })
            .collect();
        self.store.enqueue(deliveries, Utc::now()).await
    }
}

/// Events a handler gets at once, as an SQS event source's batch size.
const BATCH: usize = 10;

/// Delivers `subscription`'s due events until the process ends: each batch to its handler;
/// what the handler reports failed is due again after a backoff, or becomes a dead letter
/// after `retry.attempts`.
pub async fn deliver(store: EmbeddedStore, subscription: Subscription, retry: Retry) {
    let mut changes = store.changes();
    loop {
        changes.borrow_and_update();
        let now = Utc::now();
        let deliveries = match store.deliveries(&subscription.consumer).await {
            Ok(deliveries) => deliveries,
            Err(error) => {
                tracing::error!(error = ?error, consumer = %subscription.consumer, "reading deliveries failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let due: Vec<&Delivery> = deliveries.iter().filter(|delivery| delivery.due <= now).take(BATCH).collect();
        if due.is_empty() {
            let next = deliveries.iter().map(|delivery| delivery.due).min();
            let wait = next.map(|due| (due - now).to_std().unwrap_or_default()).unwrap_or(Duration::from_secs(3600));
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = changes.changed() => {}
            }
            continue;
        }
        if let Err(error) = hand_over(&store, &subscription, &due, retry).await {
            tracing::error!(error = ?error, consumer = %subscription.consumer, "recording deliveries failed");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

async fn hand_over(store: &EmbeddedStore, subscription: &Subscription, due: &[&Delivery], retry: Retry) -> Result<()> {
    let mut batch = SqsEvent::default();
    batch.records =
        due.iter().flat_map(|delivery| edge::deliveries::batch_of(&delivery.event, "local").records).collect();
    for (record, delivery) in batch.records.iter_mut().zip(due) {
        record.message_id = Some(delivery.event.id.clone());
    }
    let response = (subscription.handler)(batch).await;
    let failed: Vec<&str> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
    let consumer = &subscription.consumer;
    for delivery in due {
        let event = &delivery.event;
        if !failed.contains(&event.id.as_str()) {
            store.delivered(consumer, &event.id).await?;
        } else if delivery.attempts + 1 >= retry.attempts {
            tracing::error!(consumer = %consumer, event_id = %event.id, event_type = event.kind.as_str(), attempts = delivery.attempts + 1, "delivery failed for the last time; dead-lettered");
            store.dead_letter(consumer, delivery, "the consumer reported the event failed".to_owned()).await?;
        } else {
            let backoff = retry.first_delay * 2u32.saturating_pow(delivery.attempts);
            tracing::warn!(consumer = %consumer, event_id = %event.id, attempt = delivery.attempts + 1, "delivery failed; retrying");
            let due = Utc::now() + chrono::Duration::from_std(backoff).unwrap_or_default();
            store.retry_later(consumer, delivery, due).await?;
        }
    }
    Ok(())
}
