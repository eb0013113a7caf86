use payments_webhook::Webhook;
use shared::adapters::{DynamoInbox, StripeGateway, dynamodb};
use shared::config::{self, OrdersConfig, StripeConfig};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::http::init_tracing();
    let config = OrdersConfig::from_env()?;
    let stripe = StripeConfig::required()?;
    let secret = config::webhook_secret()?;
    let gateway = StripeGateway::new(&stripe.secret_key, stripe.api_base.as_deref())?;
    let client = dynamodb::client_from_env().await;
    let inbox = DynamoInbox::new(client.clone(), config::required("INBOX_TABLE")?);
    let (orders, tickets) = dynamodb::order_stores(client, &config);
    shared::http::serve(|req| {
        let webhook = Webhook { orders: &orders, tickets: &tickets, gateway: &gateway, inbox: &inbox, secret: &secret };
        payments_webhook::handle(webhook, req)
    })
    .await
}
