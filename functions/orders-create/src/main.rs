use aws_adapters::Aws;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (sessions, tables, timeout, limit, cooldown): orders_create::Config = edge::start()?;
    let store = tables.stores(Aws::load().await.dynamodb());
    let rules = domain::orders::ReservationRules { limit, cooldown };
    edge::serve_http(|req| orders_create::handle(&store, &sessions, timeout, rules, req)).await
}
