use aws_adapters::{Aws, DynamoChanges, DynamoSignInAttempts, DynamoUsers};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (sessions, users, attempts, outbox): users_verify_email_resend::Config = edge::start()?;
    let client = Aws::load().await.dynamodb();
    let (users, attempts) =
        (DynamoUsers::new(client.clone(), &users), DynamoSignInAttempts::new(client.clone(), &attempts));
    let changes = DynamoChanges::new(client, &outbox);
    edge::serve_http(|req| users_verify_email_resend::handle((&users, &attempts, &changes), &sessions, req)).await
}
