use aws_adapters::{Aws, DynamoUsers};
use stripe_adapter::StripeGateway;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (sessions, users, tables, stripe, origin): payouts_account_link::Config = edge::start()?;
    let gateway = StripeGateway::new(&stripe)?;
    let client = Aws::load().await.dynamodb();
    let users = DynamoUsers::new(client.clone(), &users);
    let store = tables.stores(client);
    edge::serve_http(|req| payouts_account_link::handle(&store, &gateway, &users, &sessions, &origin, req)).await
}
