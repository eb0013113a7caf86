use shared::adapters::dynamodb;
use shared::auth::Sessions;
use shared::config::{AuthConfig, TicketsConfig};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::http::init_tracing();
    let config = TicketsConfig::from_env()?;
    let sessions = Sessions::new(&AuthConfig::from_env()?);
    let store = dynamodb::ticket_store(dynamodb::client_from_env().await, &config);
    shared::http::serve(|req| tickets_create::handle(&store, &sessions, req)).await
}
