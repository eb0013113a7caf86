use aws_adapters::{Aws, DynamoOrders};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (sessions, orders): orders_list::Config = edge::start()?;
    let store = DynamoOrders::new(Aws::load().await.dynamodb(), &orders);
    edge::serve_http(|req| orders_list::handle(&store, &sessions, req)).await
}
