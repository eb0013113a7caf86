use shared::adapters::{DynamoNotificationStore, dynamodb};
use shared::auth::Sessions;
use shared::config::{AuthConfig, NotificationsConfig};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::http::init_tracing();
    let config = NotificationsConfig::from_env()?;
    let sessions = Sessions::new(&AuthConfig::from_env()?);
    let store = DynamoNotificationStore::new(dynamodb::client_from_env().await, config.table);
    shared::http::serve(|req| notifications_list::handle(&store, &sessions, req)).await
}
