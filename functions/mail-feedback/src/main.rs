use aws_adapters::ses_feedback::SnsEvent;
use aws_adapters::{Aws, DynamoUsers};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (users,): mail_feedback::Config = edge::start()?;
    let users = DynamoUsers::new(Aws::load().await.dynamodb(), &users);
    edge::serve(|event: SnsEvent| mail_feedback::handle(&users, event)).await
}
