//! Triggered by the outbox table's stream: publishes the events of each new record (a
//! change's) to the bus, in order, and reports where to resume when the bus refuses. Lambda
//! then retries from there (and finally sends what still fails to the on-failure
//! destination). A record that can never be published (it does not decode) is parked whole
//! in the relay's dead-letter queue and the stream moves on. A record published twice is
//! harmless: consumers process an event id once.

use aws_adapters::{EventBusName, Outbox, RelayDeadLetterQueue};
use aws_lambda_events::event::dynamodb::Event as StreamEvent;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use domain::events::Event;
use domain::ports::{DeadLetters, EventPublisher};
use domain::relay;

pub type Config = (EventBusName, RelayDeadLetterQueue);

pub async fn handle(
    publisher: &impl EventPublisher,
    dead_letters: &impl DeadLetters,
    stream: StreamEvent,
) -> DynamoDbEventResponse {
    let mut pending: Vec<(String, Event)> = Vec::new();
    for record in stream.records.into_iter().filter(|record| record.event_name == "INSERT") {
        let sequence = record.change.sequence_number.clone().unwrap_or_default();
        let whole = serde_json::to_string(&record).unwrap_or_default();
        match Outbox::events_from_image(record.change.new_image) {
            // A record holds a change's events: resuming from it publishes all of them again.
            Ok(events) => pending.extend(events.into_iter().map(|event| (sequence.clone(), event))),
            Err(error) => {
                tracing::error!(error = ?error, sequence, "outbox record does not decode; parking it");
                if let Some(resume) = publish(&mut pending, publisher).await {
                    return failure(resume);
                }
                let reason = format!("outbox record does not decode: {error:#}");
                if let Err(error) = dead_letters.park(&reason, &whole).await {
                    tracing::error!(error = ?error, sequence, "parking failed; the stream will retry");
                    return failure(sequence);
                }
            }
        }
    }
    match publish(&mut pending, publisher).await {
        Some(resume) => failure(resume),
        None => DynamoDbEventResponse::default(),
    }
}

/// Publishes `pending` in order and empties it; the sequence number to resume from if the
/// bus refused.
async fn publish(pending: &mut Vec<(String, Event)>, publisher: &impl EventPublisher) -> Option<String> {
    let (sequences, events): (Vec<String>, Vec<Event>) = std::mem::take(pending).into_iter().unzip();
    relay::publish_in_order(&events, publisher).await.map(|index| sequences[index].clone())
}

fn failure(sequence: String) -> DynamoDbEventResponse {
    let mut failure = DynamoDbBatchItemFailure::default();
    failure.item_identifier = Some(sequence);
    let mut response = DynamoDbEventResponse::default();
    response.batch_item_failures = vec![failure];
    response
}
