//! What DynamoDB does that moto does not: recorded responses replayed through the SDK, so
//! the adapters' handling of them is tested as AWS would answer.

use aws_adapters::dynamodb::client_request_token;
use aws_adapters::{DynamoChanges, OutboxTable, TicketsTable};
use aws_smithy_http_client::test_util::{ReplayEvent, StaticReplayClient};
use aws_smithy_types::body::SdkBody;
use chrono::Utc;
use domain::Error;
use domain::change::{Change, Write};
use domain::events::EventType;
use domain::ports::ChangeStore;
use serde_json::Value;

fn response(status: u16, body: &str) -> ReplayEvent {
    let request = http::Request::builder().uri("https://dynamodb.us-east-1.amazonaws.com/").body(SdkBody::empty());
    let response = http::Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.0")
        .body(SdkBody::from(body.to_owned()));
    ReplayEvent::new(request.unwrap(), response.unwrap())
}

/// A transaction cancelled as DynamoDB cancels it, with one reason per item.
fn cancelled(reasons: &[&str]) -> ReplayEvent {
    let reasons: Vec<Value> = reasons.iter().map(|code| serde_json::json!({ "Code": code })).collect();
    let body = serde_json::json!({
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons",
        "CancellationReasons": reasons,
    });
    response(400, &body.to_string())
}

fn committed() -> ReplayEvent {
    response(200, "{}")
}

/// A DynamoDB client whose requests are answered, in order, by `events`.
fn replaying(events: Vec<ReplayEvent>) -> (aws_sdk_dynamodb::Client, StaticReplayClient) {
    let http = StaticReplayClient::new(events);
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("id", "secret", None, None, "test"))
        .http_client(http.clone())
        .build();
    (aws_sdk_dynamodb::Client::from_conf(config), http)
}

fn changes(events: Vec<ReplayEvent>) -> (DynamoChanges, StaticReplayClient) {
    let (client, http) = replaying(events);
    let changes =
        DynamoChanges::new(client, &OutboxTable("outbox".into())).with_tickets(&TicketsTable("tickets".into()));
    (changes, http)
}

fn listing() -> Change {
    let ticket = domain::testing::ticket("seller", "Concert");
    Change {
        events: vec![ticket.event(EventType::TicketCreated, Utc::now()).unwrap()],
        tickets: vec![Write::Insert(ticket)],
        ..Change::default()
    }
}

fn tokens(http: &StaticReplayClient) -> Vec<String> {
    http.actual_requests()
        .map(|request| {
            let body: Value = serde_json::from_slice(request.body().bytes().unwrap()).unwrap();
            body["ClientRequestToken"].as_str().expect("every transaction carries a token").to_owned()
        })
        .collect()
}

#[tokio::test]
async fn a_transaction_cancelled_by_a_concurrent_one_is_tried_again_and_commits() {
    let (changes, http) = changes(vec![cancelled(&["TransactionConflict", "None"]), committed()]);
    let change = listing();
    changes.commit(&change).await.expect("committed on the second try");
    let tokens = tokens(&http);
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens[0], tokens[1], "the same token: an SDK retry of a committed transaction is not a conflict");
    assert_eq!(tokens[0], client_request_token(&change));
}

#[tokio::test]
async fn a_transaction_that_keeps_conflicting_is_a_409_conflict() {
    let conflicts = (0..4).map(|_| cancelled(&["None", "TransactionConflict"])).collect();
    let (changes, http) = changes(conflicts);
    let outcome = changes.commit(&listing()).await;
    assert!(matches!(outcome, Err(Error::Conflict(_))), "{outcome:?}");
    assert_eq!(http.actual_requests().count(), 4, "tried four times in all");
}

#[tokio::test]
async fn a_failed_condition_is_a_conflict_at_once() {
    let (changes, http) = changes(vec![cancelled(&["ConditionalCheckFailed", "None"])]);
    let outcome = changes.commit(&listing()).await;
    assert!(matches!(outcome, Err(Error::Conflict(_))), "{outcome:?}");
    assert_eq!(http.actual_requests().count(), 1);
}

#[tokio::test]
async fn a_transaction_still_in_progress_under_its_token_is_waited_for() {
    let in_progress = response(
        400,
        r#"{"__type":"com.amazonaws.dynamodb.v20120810#TransactionInProgressException","Message":"in progress"}"#,
    );
    let (changes, http) = changes(vec![in_progress, committed()]);
    changes.commit(&listing()).await.expect("committed once the first attempt finished");
    assert_eq!(http.actual_requests().count(), 2);
}

#[tokio::test]
async fn any_other_failure_is_internal() {
    let throttled =
        response(400, r#"{"__type":"com.amazonaws.dynamodb.v20120810#ValidationException","Message":"bad request"}"#);
    let (changes, _) = changes(vec![throttled]);
    assert!(matches!(changes.commit(&listing()).await, Err(Error::Internal(_))));
}

#[test]
fn a_change_has_one_token_and_another_change_another() {
    let change = listing();
    assert_eq!(client_request_token(&change), client_request_token(&change.clone()));
    assert_ne!(client_request_token(&change), client_request_token(&listing()));
    assert!(client_request_token(&change).len() <= 36, "DynamoDB's limit");
}

fn users(events: Vec<ReplayEvent>) -> (aws_adapters::DynamoUsers, StaticReplayClient) {
    let (client, http) = replaying(events);
    (aws_adapters::DynamoUsers::new(client, &aws_adapters::UsersTable("users".into())), http)
}

/// The put refused because `stored_id`'s account holds the email, as DynamoDB answers when
/// asked to return the item in the way.
fn taken_by(stored_id: &str) -> ReplayEvent {
    let body = serde_json::json!({
        "__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
        "message": "The conditional request failed",
        "Item": {
            "email": { "S": "ada@example.com" },
            "id": { "S": stored_id },
            "password_hash": { "S": "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA" },
            "created_at": { "S": "2026-11-26T10:00:00Z" }
        }
    });
    response(400, &body.to_string())
}

fn user(id: &str) -> domain::entities::User {
    domain::entities::User {
        id: domain::ids::UserId::from(id),
        email: domain::entities::Email::parse("ada@example.com").unwrap(),
        password_hash: domain::entities::PasswordHash::from_phc("$argon2id$x".into()),
        created_at: Utc::now(),
        session_generation: 0,
    }
}

#[tokio::test]
async fn a_taken_email_is_known_from_the_refused_put_alone() {
    use domain::ports::UserStore;
    let (store, http) = users(vec![taken_by("01OTHER")]);
    let outcome = store.insert(&user("01MINE")).await;
    assert!(matches!(outcome, Err(Error::Conflict("Email in use"))), "{outcome:?}");
    assert_eq!(http.actual_requests().count(), 1, "no read after the put: sign-up may only put");
    let body: Value = serde_json::from_slice(http.actual_requests().next().unwrap().body().bytes().unwrap()).unwrap();
    assert_eq!(body["ReturnValuesOnConditionCheckFailure"], "ALL_OLD");

    let (store, _) = users(vec![taken_by("01MINE")]);
    store.insert(&user("01MINE")).await.expect("a retried put that had committed is a success");
}
