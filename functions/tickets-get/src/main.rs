use aws_adapters::Aws;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (sessions, tables): tickets_get::Config = edge::start()?;
    let store = tables.stores(Aws::load().await.dynamodb());
    edge::serve_http(|req| tickets_get::handle(&store, &sessions, req)).await
}
