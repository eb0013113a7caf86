use shared::adapters::dynamodb;
use shared::config::TicketsConfig;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::http::init_tracing();
    let config = TicketsConfig::from_env()?;
    let store = dynamodb::ticket_store(dynamodb::client_from_env().await, &config);
    shared::http::serve(|req| tickets_list::handle(&store, req)).await
}
