use aws_adapters::{Aws, DynamoPayouts, PayoutScheduler};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (target, payouts): payouts_schedule::Config = edge::start()?;
    let aws = Aws::load().await;
    let scheduler = PayoutScheduler::new(aws.scheduler(), target);
    let store = DynamoPayouts::new(aws.dynamodb(), &payouts);
    edge::serve_sqs(|event| payouts_schedule::handle(&scheduler, &store, event)).await
}
