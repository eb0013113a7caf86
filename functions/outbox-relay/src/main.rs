use aws_adapters::{Aws, EventBridgePublisher, SqsDeadLetters};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (bus, dead_letter_queue): outbox_relay::Config = edge::start()?;
    let aws = Aws::load().await;
    let publisher = EventBridgePublisher::new(aws.eventbridge(), &bus);
    let dead_letters = SqsDeadLetters::new(aws.sqs(), &dead_letter_queue);
    edge::serve(|stream| async { Ok(outbox_relay::handle(&publisher, &dead_letters, stream).await) }).await
}
