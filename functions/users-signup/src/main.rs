use shared::adapters::{DynamoUserStore, dynamodb};
use shared::auth::Sessions;
use shared::config::UsersConfig;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::http::init_tracing();
    let config = UsersConfig::from_env()?;
    let store = DynamoUserStore::new(dynamodb::client_from_env().await, config.users_table);
    let sessions = Sessions::new(&config.auth);
    shared::http::serve(|req| users_signup::handle(&store, &sessions, req)).await
}
