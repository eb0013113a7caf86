use aws_adapters::Aws;
use stripe_adapter::StripeGateway;

#[tokio::main]
async fn main() -> Result<(), edge::StartError> {
    let (sessions, tables, stripe): payouts_account_get::Config = edge::start()?;
    let gateway = StripeGateway::new(&stripe)?;
    let store = tables.stores(Aws::load().await.dynamodb());
    edge::serve_http(|req| payouts_account_get::handle(&store, &gateway, &sessions, req)).await
}
