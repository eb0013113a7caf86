use std::convert::Infallible;

use lambda_runtime::{LambdaEvent, service_fn};
use shared::adapters::{EventBridgeScheduler, scheduler};
use shared::config::ScheduleConfig;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::http::init_tracing();
    let target = ScheduleConfig::from_env()?.target;
    let scheduler = EventBridgeScheduler::new(scheduler::client_from_env().await, target);
    lambda_runtime::run(service_fn(|event: LambdaEvent<_>| async {
        Ok::<_, Infallible>(expiration_schedule::handle(&scheduler, event.payload).await)
    }))
    .await
}
