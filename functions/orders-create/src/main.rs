use aws_adapters::Aws;

#[tokio::main]
async fn main() -> Result<(), edge::StartError> {
    let (sessions, tables, timeout, limit): orders_create::Config = edge::start()?;
    let store = tables.stores(Aws::load().await.dynamodb());
    edge::serve_http(|req| orders_create::handle(&store, &sessions, timeout, limit, req)).await
}
