use aws_adapters::{Aws, DynamoNotifications, SqsNotificationSender};

#[tokio::main]
async fn main() -> Result<(), edge::StartError> {
    let (notifications, queue): notifications_consumer::Config = edge::start()?;
    let aws = Aws::load().await;
    let store = DynamoNotifications::new(aws.dynamodb(), &notifications);
    let sender = SqsNotificationSender::new(aws.sqs(), &queue);
    edge::serve_sqs(|event| notifications_consumer::handle(&store, &sender, event)).await
}
