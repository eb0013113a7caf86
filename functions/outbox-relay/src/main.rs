use aws_adapters::{Aws, EventBridgePublisher};

#[tokio::main]
async fn main() -> Result<(), edge::StartError> {
    let bus: outbox_relay::Config = edge::start()?;
    let publisher = EventBridgePublisher::new(Aws::load().await.eventbridge(), &bus);
    edge::serve(|stream| async { Ok(outbox_relay::handle(&publisher, stream).await) }).await
}
