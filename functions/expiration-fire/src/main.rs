use lambda_runtime::{LambdaEvent, service_fn};
use shared::adapters::dynamodb;
use shared::adapters::scheduler::ExpiryInput;
use shared::config::OrdersConfig;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::http::init_tracing();
    let config = OrdersConfig::from_env()?;
    let (orders, tickets) = dynamodb::order_stores(dynamodb::client_from_env().await, &config);
    lambda_runtime::run(service_fn(|event: LambdaEvent<ExpiryInput>| async {
        let outcome = expiration_fire::handle(&orders, &tickets, event.payload).await;
        outcome.map(|_| ()).map_err(lambda_runtime::Error::from)
    }))
    .await
}
