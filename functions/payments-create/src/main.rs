use shared::adapters::{StripeGateway, dynamodb};
use shared::auth::Sessions;
use shared::config::{AuthConfig, OrdersConfig, StripeConfig};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::http::init_tracing();
    let config = OrdersConfig::from_env()?;
    let sessions = Sessions::new(&AuthConfig::from_env()?);
    let stripe = StripeConfig::required()?;
    let gateway = StripeGateway::new(&stripe.secret_key, stripe.api_base.as_deref())?;
    let (orders, tickets) = dynamodb::order_stores(dynamodb::client_from_env().await, &config);
    shared::http::serve(|req| payments_create::handle(&orders, &tickets, &gateway, &sessions, req)).await
}
