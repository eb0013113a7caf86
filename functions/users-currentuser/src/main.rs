use aws_adapters::{Aws, DynamoUsers};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (sessions, users): users_currentuser::Config = edge::start()?;
    let users = DynamoUsers::new(Aws::load().await.dynamodb(), &users);
    edge::serve_http(|req| users_currentuser::handle(&users, &sessions, req)).await
}
