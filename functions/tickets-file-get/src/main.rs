use aws_adapters::{Aws, DynamoTickets, S3Files};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (sessions, tickets, bucket): tickets_file_get::Config = edge::start()?;
    let aws = Aws::load().await;
    let (store, files) = (DynamoTickets::new(aws.dynamodb(), &tickets), S3Files::new(aws.s3(), &bucket));
    edge::serve_http(|req| tickets_file_get::handle(&store, &files, &sessions, req)).await
}
