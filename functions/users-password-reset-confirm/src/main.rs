use aws_adapters::{Aws, DynamoUsers};
use edge::passwords::Argon2Passwords;
use edge::secrets::RandomSecrets;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (users,): users_password_reset_confirm::Config = edge::start()?;
    let users = DynamoUsers::new(Aws::load().await.dynamodb(), &users);
    edge::serve_http(|req| users_password_reset_confirm::handle(&users, (&Argon2Passwords, &RandomSecrets), req)).await
}
