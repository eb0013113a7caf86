use shared::adapters::dynamodb;
use shared::auth::Sessions;
use shared::config::{AuthConfig, OrdersConfig};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::http::init_tracing();
    let config = OrdersConfig::from_env()?;
    let sessions = Sessions::new(&AuthConfig::from_env()?);
    let (orders, _) = dynamodb::order_stores(dynamodb::client_from_env().await, &config);
    shared::http::serve(|req| payments_list::handle(&orders, &sessions, req)).await
}
