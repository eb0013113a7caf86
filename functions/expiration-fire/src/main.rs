use aws_adapters::Aws;
use domain::orders::ExpiryInput;

#[tokio::main]
async fn main() -> Result<(), edge::StartError> {
    let tables: expiration_fire::Config = edge::start()?;
    let store = tables.stores(Aws::load().await.dynamodb());
    edge::serve(|input: ExpiryInput| async { expiration_fire::handle(&store, input).await.map(|_| ()) }).await
}
