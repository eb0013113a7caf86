use aws_adapters::Aws;
use stripe_adapter::StripeGateway;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (tables, stripe): payouts_sweep::Config = edge::start()?;
    let gateway = StripeGateway::new(&stripe)?;
    let store = tables.stores(Aws::load().await.dynamodb());
    edge::serve(|_: serde_json::Value| async { payouts_sweep::handle(&store, &gateway).await.map(|_| ()) }).await
}
