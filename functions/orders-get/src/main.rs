use aws_adapters::{Aws, DynamoOrders, DynamoPayments};
use domain::ports::StoreSet;

#[tokio::main]
async fn main() -> Result<(), edge::StartError> {
    let (sessions, orders, payments): orders_get::Config = edge::start()?;
    let client = Aws::load().await.dynamodb();
    let store = StoreSet {
        tickets: (),
        orders: DynamoOrders::new(client.clone(), &orders),
        payments: DynamoPayments::new(client, &payments),
        changes: (),
        payouts: (),
    };
    edge::serve_http(|req| orders_get::handle(&store, &sessions, req)).await
}
