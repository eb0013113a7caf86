use aws_adapters::{Aws, DynamoInbox, EventBridgeScheduler};
use stripe_adapter::StripeGateway;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (target, inbox, tables, stripe): expiration_schedule::Config = edge::start()?;
    let gateway = StripeGateway::new(&stripe)?;
    let aws = Aws::load().await;
    let scheduler = EventBridgeScheduler::new(aws.scheduler(), target);
    let inbox = DynamoInbox::new(aws.dynamodb(), &inbox);
    let store = tables.stores(aws.dynamodb());
    edge::serve_sqs(|event| expiration_schedule::handle(&scheduler, &store, &gateway, &inbox, event)).await
}
