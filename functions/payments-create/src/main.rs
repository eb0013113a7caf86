use aws_adapters::Aws;
use stripe_adapter::StripeGateway;

#[tokio::main]
async fn main() -> Result<(), edge::StartError> {
    let (sessions, tables, stripe): payments_create::Config = edge::start()?;
    let gateway = StripeGateway::new(&stripe)?;
    let store = tables.stores(Aws::load().await.dynamodb());
    edge::serve_http(|req| payments_create::handle(&store, &gateway, &sessions, req)).await
}
