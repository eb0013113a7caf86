use std::convert::Infallible;

use lambda_runtime::{LambdaEvent, service_fn};
use shared::adapters::{DynamoNotificationStore, SqsNotificationSender, dynamodb, sqs};
use shared::config::{self, NotificationsConfig};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::http::init_tracing();
    let config = NotificationsConfig::from_env()?;
    let queue_url = config.queue_url.ok_or(config::ConfigError::Missing("NOTIFICATIONS_QUEUE_URL"))?;
    let store = DynamoNotificationStore::new(dynamodb::client_from_env().await, config.table);
    let sender = SqsNotificationSender::new(sqs::client_from_env().await, queue_url);
    lambda_runtime::run(service_fn(|event: LambdaEvent<_>| async {
        Ok::<_, Infallible>(notifications_consumer::handle(&store, &sender, event.payload).await)
    }))
    .await
}
