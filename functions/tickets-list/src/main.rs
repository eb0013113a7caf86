use aws_adapters::{Aws, DynamoTickets};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let tickets: tickets_list::Config = edge::start()?;
    let store = DynamoTickets::new(Aws::load().await.dynamodb(), &tickets);
    edge::serve_http(|req| tickets_list::handle(&store, req)).await
}
