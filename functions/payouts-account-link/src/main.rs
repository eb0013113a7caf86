use aws_adapters::Aws;
use stripe_adapter::StripeGateway;

#[tokio::main]
async fn main() -> Result<(), edge::StartError> {
    let (sessions, tables, stripe, origin): payouts_account_link::Config = edge::start()?;
    let gateway = StripeGateway::new(&stripe)?;
    let store = tables.stores(Aws::load().await.dynamodb());
    edge::serve_http(|req| payouts_account_link::handle(&store, &gateway, &sessions, &origin, req)).await
}
