use shared::adapters::{DynamoTicketStore, Outbox, dynamodb};
use shared::auth::Sessions;
use shared::config::{AuthConfig, TicketsConfig};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::http::init_tracing();
    let config = TicketsConfig::from_env()?;
    let sessions = Sessions::new(&AuthConfig::from_env()?);
    let store = DynamoTicketStore::new(
        dynamodb::client_from_env().await,
        config.tickets_table,
        Outbox::new(config.outbox_table),
    );
    shared::http::serve(|req| tickets_update::handle(&store, &sessions, req)).await
}
