use aws_adapters::{Aws, DynamoSignInAttempts, DynamoUsers};
use edge::passwords::Argon2Passwords;

#[tokio::main]
async fn main() -> Result<(), edge::StartError> {
    let (sessions, users, attempts): users_signin::Config = edge::start()?;
    let client = Aws::load().await.dynamodb();
    let attempts = DynamoSignInAttempts::new(client.clone(), &attempts);
    let users = DynamoUsers::new(client, &users);
    edge::serve_http(|req| users_signin::handle(&users, &attempts, &Argon2Passwords, &sessions, req)).await
}
