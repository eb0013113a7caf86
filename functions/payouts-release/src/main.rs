use aws_adapters::Aws;
use payouts_release::ReleaseInput;
use stripe_adapter::StripeGateway;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (tables, stripe): payouts_release::Config = edge::start()?;
    let gateway = StripeGateway::new(&stripe)?;
    let store = tables.stores(Aws::load().await.dynamodb());
    edge::serve(|input: ReleaseInput| async { payouts_release::handle(&store, &gateway, input).await.map(|_| ()) })
        .await
}
