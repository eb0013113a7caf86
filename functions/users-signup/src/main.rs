use aws_adapters::{Aws, DynamoUsers};
use edge::passwords::Argon2Passwords;

#[tokio::main]
async fn main() -> Result<(), edge::StartError> {
    let (sessions, users): users_signup::Config = edge::start()?;
    let users = DynamoUsers::new(Aws::load().await.dynamodb(), &users);
    edge::serve_http(|req| users_signup::handle(&users, &Argon2Passwords, &sessions, req)).await
}
