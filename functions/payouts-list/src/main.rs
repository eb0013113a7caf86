use aws_adapters::{Aws, DynamoPayouts, DynamoUsers};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (sessions, users, payouts): payouts_list::Config = edge::start()?;
    let client = Aws::load().await.dynamodb();
    let users = DynamoUsers::new(client.clone(), &users);
    let store = DynamoPayouts::new(client, &payouts);
    edge::serve_http(|req| payouts_list::handle(&store, &users, &sessions, req)).await
}
