use shared::adapters::{DynamoTicketStore, Outbox, dynamodb};
use shared::config::TicketsConfig;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::http::init_tracing();
    let config = TicketsConfig::from_env()?;
    let store = DynamoTicketStore::new(
        dynamodb::client_from_env().await,
        config.tickets_table,
        Outbox::new(config.outbox_table),
    );
    shared::http::serve(|req| tickets_get::handle(&store, req)).await
}
