use aws_adapters::{Aws, DynamoChanges, DynamoSignInAttempts, DynamoUsers};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (users, attempts, outbox, origin): users_password_reset::Config = edge::start()?;
    let client = Aws::load().await.dynamodb();
    let (users, attempts) =
        (DynamoUsers::new(client.clone(), &users), DynamoSignInAttempts::new(client.clone(), &attempts));
    let changes = DynamoChanges::new(client, &outbox);
    edge::serve_http(|req| users_password_reset::handle((&users, &attempts, &changes), &origin, req)).await
}
