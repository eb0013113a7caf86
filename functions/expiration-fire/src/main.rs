use aws_adapters::Aws;
use domain::expiration::ExpirationInput;
use stripe_adapter::StripeGateway;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (tables, stripe): expiration_fire::Config = edge::start()?;
    let gateway = StripeGateway::new(&stripe)?;
    let store = tables.stores(Aws::load().await.dynamodb());
    edge::serve(|input: ExpirationInput| async { expiration_fire::handle(&store, &gateway, input).await.map(|_| ()) })
        .await
}
