use aws_adapters::{Aws, DynamoUsers};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (sessions, users): users_signout::Config = edge::start()?;
    let users = DynamoUsers::new(Aws::load().await.dynamodb(), &users);
    edge::serve_http(|req| users_signout::handle(&users, &sessions, req)).await
}
