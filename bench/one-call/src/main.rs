//! One `GetItem` on `USERS_TABLE` per request, over the functions' AWS configuration.

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::{Body, Error, Request, Response, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let table = std::env::var("USERS_TABLE")?;
    let client = aws_adapters::Aws::load().await.dynamodb();
    run(service_fn(|_req: Request| {
        let (client, table) = (client.clone(), table.clone());
        async move {
            let item = client
                .get_item()
                .table_name(table)
                .key("email", AttributeValue::S("bench@example.com".to_owned()))
                .send()
                .await?;
            Ok::<_, Error>(Response::new(Body::from(if item.item.is_some() { "found" } else { "none" })))
        }
    }))
    .await
}
