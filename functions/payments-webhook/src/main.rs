use aws_adapters::{Aws, DynamoInbox};
use stripe_adapter::StripeGateway;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (tables, inbox, stripe, secret): payments_webhook::Config = edge::start()?;
    let gateway = StripeGateway::new(&stripe)?;
    let client = Aws::load().await.dynamodb();
    let inbox = DynamoInbox::new(client.clone(), &inbox);
    let store = tables.stores(client);
    edge::serve_http(|req| payments_webhook::handle(&store, &gateway, &inbox, &secret, req)).await
}
