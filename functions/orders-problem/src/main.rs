use aws_adapters::Aws;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (sessions, tables): orders_problem::Config = edge::start()?;
    let store = tables.stores(Aws::load().await.dynamodb());
    edge::serve_http(|req| orders_problem::handle(&store, &sessions, req)).await
}
