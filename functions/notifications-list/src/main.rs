use aws_adapters::{Aws, DynamoNotifications};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (sessions, notifications): notifications_list::Config = edge::start()?;
    let store = DynamoNotifications::new(Aws::load().await.dynamodb(), &notifications);
    edge::serve_http(|req| notifications_list::handle(&store, &sessions, req)).await
}
