use aws_adapters::{Aws, DynamoUsers};
use edge::secrets::RandomSecrets;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (users,): users_verify_email::Config = edge::start()?;
    let users = DynamoUsers::new(Aws::load().await.dynamodb(), &users);
    edge::serve_http(|req| users_verify_email::handle(&users, &RandomSecrets, req)).await
}
