//! Triggered by the outbox table's stream: publishes each new event to the bus, in order,
//! and reports where to resume when the bus refuses. Lambda then retries from there (and
//! finally sends what still fails to the on-failure destination). A record published twice
//! is harmless: consumers deduplicate by event id.

use aws_adapters::{EventBusName, Outbox};
use aws_lambda_events::event::dynamodb::Event as StreamEvent;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use domain::ports::EventPublisher;
use domain::relay;

pub type Config = EventBusName;

pub async fn handle(publisher: &impl EventPublisher, stream: StreamEvent) -> DynamoDbEventResponse {
    let mut events = Vec::new();
    let mut sequences = Vec::new();
    let mut undecodable = None;
    for record in stream.records.into_iter().filter(|record| record.event_name == "INSERT") {
        let sequence = record.change.sequence_number.clone().unwrap_or_default();
        match Outbox::event_from_image(record.change.new_image) {
            Ok(event) => {
                events.push(event);
                sequences.push(sequence);
            }
            Err(error) => {
                // Retrying cannot help, but dropping it would lose an event: fail from here so
                // it ends in the dead-letter queue for a person to see.
                tracing::error!(error = ?error, sequence, "outbox record does not decode");
                undecodable = Some(sequence);
                break;
            }
        }
    }
    let failed = relay::publish_in_order(&events, publisher).await.map(|index| sequences[index].clone());
    match failed.or(undecodable) {
        Some(sequence) => failure(sequence),
        None => DynamoDbEventResponse::default(),
    }
}

fn failure(sequence: String) -> DynamoDbEventResponse {
    let mut failure = DynamoDbBatchItemFailure::default();
    failure.item_identifier = Some(sequence);
    let mut response = DynamoDbEventResponse::default();
    response.batch_item_failures = vec![failure];
    response
}
