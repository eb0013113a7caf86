use aws_adapters::{Aws, DynamoInbox, DynamoUsers, SesMailer};
use domain::entities::Notification;
use edge::secrets::RandomSecrets;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (users, inbox, sender, settings): mail_send::Config = edge::start()?;
    let aws = Aws::load().await;
    let (users, inbox) = (DynamoUsers::new(aws.dynamodb(), &users), DynamoInbox::new(aws.dynamodb(), &inbox));
    let mailer = SesMailer::new(aws.sesv2(), &sender);
    let mailer = (&mailer, &RandomSecrets);
    edge::serve_sqs(|notification: Notification| mail_send::handle(&users, mailer, &inbox, &settings, notification))
        .await
}
