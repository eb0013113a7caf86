use aws_adapters::{Aws, EventBridgeScheduler};

#[tokio::main]
async fn main() -> Result<(), edge::StartError> {
    let target: expiration_schedule::Config = edge::start()?;
    let scheduler = EventBridgeScheduler::new(Aws::load().await.scheduler(), target);
    edge::serve_sqs(|event| expiration_schedule::handle(&scheduler, event)).await
}
