use aws_adapters::{Aws, DynamoChanges, DynamoTickets, S3Files};
use domain::ports::StoreSet;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (sessions, tickets, bucket): tickets_file_upload::Config = edge::start()?;
    let aws = Aws::load().await;
    let dynamodb = aws.dynamodb();
    let store = StoreSet {
        tickets: DynamoTickets::new(dynamodb.clone(), &tickets),
        orders: (),
        payments: (),
        changes: DynamoChanges::announcing_nothing(dynamodb).with_tickets(&tickets),
        payouts: (),
    };
    let files = S3Files::new(aws.s3(), &bucket);
    edge::serve_http(|req| tickets_file_upload::handle(&store, &files, &sessions, req)).await
}
