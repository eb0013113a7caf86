//! AWS clients whose requests get recorded answers, in order (the SDK's own replay client):
//! how the adapters handle what AWS answers and moto does not.

use aws_adapters::Aws;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::{Credentials, SharedCredentialsProvider};
use aws_smithy_http_client::test_util::{ReplayEvent, StaticReplayClient};
use aws_smithy_types::body::SdkBody;

/// DynamoDB's answer: `status` with a JSON `body`.
pub fn dynamodb_answer(status: u16, body: &str) -> ReplayEvent {
    answer("dynamodb", "application/x-amz-json-1.0", status, body)
}

/// EventBridge's answer: 200 with a JSON `body`.
pub fn eventbridge_answer(body: &str) -> ReplayEvent {
    answer("events", "application/x-amz-json-1.1", 200, body)
}

fn answer(service: &str, content_type: &str, status: u16, body: &str) -> ReplayEvent {
    let request =
        http::Request::builder().uri(format!("https://{service}.us-east-1.amazonaws.com/")).body(SdkBody::empty());
    let response =
        http::Response::builder().status(status).header("content-type", content_type).body(SdkBody::from(body));
    ReplayEvent::new(request.unwrap(), response.unwrap())
}

/// The AWS configuration whose every client's requests are answered, in order, by
/// `answers`; the replay client keeps the requests made.
pub fn replaying(answers: Vec<ReplayEvent>) -> (Aws, StaticReplayClient) {
    let http = StaticReplayClient::new(answers);
    let config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new("id", "secret", None, None, "test")))
        .http_client(http.clone())
        .build();
    (Aws::from_config(config), http)
}
