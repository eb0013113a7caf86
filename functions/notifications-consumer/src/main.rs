use aws_adapters::{Aws, DynamoInbox, DynamoNotifications, SqsNotificationSender};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (notifications, queue, inbox, reservations): notifications_consumer::Config = edge::start()?;
    let aws = Aws::load().await;
    let store = DynamoNotifications::new(aws.dynamodb(), &notifications);
    let sender = SqsNotificationSender::new(aws.sqs(), &queue);
    let inbox = DynamoInbox::new(aws.dynamodb(), &inbox);
    edge::serve_sqs(|event| notifications_consumer::handle((&store, &sender, &inbox), reservations, event)).await
}
