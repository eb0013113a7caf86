use std::convert::Infallible;

use lambda_runtime::{LambdaEvent, service_fn};
use shared::adapters::{EventBridgePublisher, eventbridge};
use shared::config;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::http::init_tracing();
    let bus = config::required("EVENT_BUS_NAME")?;
    let publisher = EventBridgePublisher::new(eventbridge::client_from_env().await, bus);
    lambda_runtime::run(service_fn(|event: LambdaEvent<_>| async {
        Ok::<_, Infallible>(outbox_relay::handle(&publisher, event.payload).await)
    }))
    .await
}
