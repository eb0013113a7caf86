use aws_adapters::{Aws, S3Files};
use files_check::ObjectCreated;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (tables, bucket): files_check::Config = edge::start()?;
    let aws = Aws::load().await;
    let (store, files) = (tables.stores(aws.dynamodb()), S3Files::new(aws.s3(), &bucket));
    edge::serve(|event: ObjectCreated| async { files_check::handle(&store, &files, event).await.map(|_| ()) }).await
}
