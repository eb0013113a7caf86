use aws_adapters::{Aws, DynamoSignInAttempts, DynamoUsers};
use edge::address::Throttling;
use edge::passwords::Argon2Passwords;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (sessions, users, attempts, outbox, throttles, origin): users_signup::Config = edge::start()?;
    let client = Aws::load().await.dynamodb();
    let attempts = DynamoSignInAttempts::new(client.clone(), &attempts);
    // A new account is stored with the event asking for its address's verification.
    let users = DynamoUsers::new(client, &users).announcing(&outbox);
    edge::serve_http(|req| {
        let throttling = Throttling { limits: &throttles, origin: &origin };
        users_signup::handle(&users, &attempts, &Argon2Passwords, &sessions, throttling, req)
    })
    .await
}
