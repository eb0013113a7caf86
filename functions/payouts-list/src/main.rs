use aws_adapters::{Aws, DynamoPayouts};

#[tokio::main]
async fn main() -> Result<(), edge::StartError> {
    let (sessions, payouts): payouts_list::Config = edge::start()?;
    let store = DynamoPayouts::new(Aws::load().await.dynamodb(), &payouts);
    edge::serve_http(|req| payouts_list::handle(&store, &sessions, req)).await
}
