use aws_adapters::{Aws, DynamoUsers};
use stripe_adapter::StripeGateway;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (sessions, users, tables, stripe): payments_create::Config = edge::start()?;
    let gateway = StripeGateway::new(&stripe)?;
    let client = Aws::load().await.dynamodb();
    let users = DynamoUsers::new(client.clone(), &users);
    let store = tables.stores(client);
    edge::serve_http(|req| payments_create::handle(&store, &gateway, &users, &sessions, req)).await
}
