use aws_adapters::{Aws, DynamoSignInAttempts, DynamoUsers};
use edge::address::Throttling;
use edge::passwords::Argon2Passwords;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (sessions, users, attempts, throttles, origin): users_signin::Config = edge::start()?;
    let client = Aws::load().await.dynamodb();
    let attempts = DynamoSignInAttempts::new(client.clone(), &attempts);
    let users = DynamoUsers::new(client, &users);
    edge::serve_http(|req| {
        let throttling = Throttling { limits: &throttles, origin: &origin };
        users_signin::handle(&users, &attempts, &Argon2Passwords, &sessions, throttling, req)
    })
    .await
}
