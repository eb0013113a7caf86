use aws_adapters::{Aws, S3Files};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (sessions, tables, bucket): orders_file_get::Config = edge::start()?;
    let aws = Aws::load().await;
    let (store, files) = (tables.stores(aws.dynamodb()), S3Files::new(aws.s3(), &bucket));
    edge::serve_http(|req| orders_file_get::handle(&store, &files, &sessions, req)).await
}
