use aws_adapters::{Aws, DynamoTickets};

#[tokio::main]
async fn main() -> Result<(), edge::StartError> {
    let tickets: tickets_get::Config = edge::start()?;
    let store = DynamoTickets::new(Aws::load().await.dynamodb(), &tickets);
    edge::serve_http(|req| tickets_get::handle(&store, req)).await
}
