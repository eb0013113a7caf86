use aws_adapters::{Aws, DynamoInbox};
use stripe_adapter::StripeGateway;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (tables, inbox, stripe): payments_reconcile::Config = edge::start()?;
    let gateway = StripeGateway::new(&stripe)?;
    let client = Aws::load().await.dynamodb();
    let inbox = DynamoInbox::new(client.clone(), &inbox);
    let store = tables.stores(client);
    edge::serve(|_: serde_json::Value| async { payments_reconcile::handle(&store, &gateway, &inbox).await.map(|_| ()) })
        .await
}
