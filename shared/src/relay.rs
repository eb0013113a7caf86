//! The outbox relay: publishes the events that committed writes stored in the outbox,
//! as the outbox table's stream hands them over.
//!
//! Records are published in stream order. At the first batch the bus refuses, the relay
//! reports that batch's first record as failed: Lambda then retries from there (and
//! finally sends what still fails to the on-failure destination). A record published
//! twice is harmless: consumers deduplicate by event id.

use aws_lambda_events::event::dynamodb::{Event as StreamEvent, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};

use crate::adapters::Outbox;
use crate::events::Event;
use crate::ports::EventPublisher;

/// Events per publish call (one PutEvents request).
const CHUNK: usize = 10;

pub async fn relay(stream: StreamEvent, publisher: &impl EventPublisher) -> DynamoDbEventResponse {
    let mut pending: Vec<(String, Event)> = Vec::new();
    for record in stream.records.into_iter().filter(|record| record.event_name == "INSERT") {
        let sequence = sequence_number(&record);
        match Outbox::event_from_image(record.change.new_image) {
            Ok(event) => pending.push((sequence, event)),
            Err(error) => {
                // Undecodable: retrying cannot help, but dropping it would lose an event.
                // Fail from here so it ends in the dead-letter queue for a person to see.
                tracing::error!(error = ?error, sequence, "outbox record does not decode");
                return failed_from(&pending, &sequence, publisher).await;
            }
        }
    }
    publish_in_order(&pending, publisher).await
}

/// Publishes `pending` up to `sequence`, then reports `sequence` as the first failure.
async fn failed_from(
    pending: &[(String, Event)],
    sequence: &str,
    publisher: &impl EventPublisher,
) -> DynamoDbEventResponse {
    let response = publish_in_order(pending, publisher).await;
    if response.batch_item_failures.is_empty() { failure(sequence) } else { response }
}

async fn publish_in_order(pending: &[(String, Event)], publisher: &impl EventPublisher) -> DynamoDbEventResponse {
    for chunk in pending.chunks(CHUNK) {
        let events: Vec<Event> = chunk.iter().map(|(_, event)| event.clone()).collect();
        if let Err(error) = publisher.publish(&events).await {
            tracing::warn!(error = ?error, count = events.len(), "publishing outbox events failed; the stream will retry");
            return failure(&chunk[0].0);
        }
    }
    DynamoDbEventResponse::default()
}

fn failure(sequence: &str) -> DynamoDbEventResponse {
    let mut failure = DynamoDbBatchItemFailure::default();
    failure.item_identifier = Some(sequence.to_owned());
    let mut response = DynamoDbEventResponse::default();
    response.batch_item_failures = vec![failure];
    response
}

fn sequence_number(record: &EventRecord) -> String {
    record.change.sequence_number.clone().unwrap_or_default()
}
