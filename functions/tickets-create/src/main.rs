use aws_adapters::Aws;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (sessions, tables, terms, cap): tickets_create::Config = edge::start()?;
    let store = tables.stores(Aws::load().await.dynamodb());
    edge::serve_http(|req| tickets_create::handle(&store, &sessions, (terms, cap), req)).await
}
