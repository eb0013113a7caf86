//! Triggered by the outbox table's stream: publishes each new event to the bus, and
//! reports where to resume when the bus refuses (see `shared::relay`).

use aws_lambda_events::event::dynamodb::Event as StreamEvent;
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use shared::ports::EventPublisher;

pub async fn handle(publisher: &impl EventPublisher, stream: StreamEvent) -> DynamoDbEventResponse {
    shared::relay::relay(stream, publisher).await
}
