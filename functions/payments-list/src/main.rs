use aws_adapters::Aws;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (sessions, tables): payments_list::Config = edge::start()?;
    let store = tables.stores(Aws::load().await.dynamodb());
    edge::serve_http(|req| payments_list::handle(&store, &sessions, req)).await
}
