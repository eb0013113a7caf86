//! What DynamoDB does that moto does not: recorded responses replayed through the SDK, so
//! the adapters' handling of them is tested as AWS would answer. And what one request reads,
//! counted through the recording proxy against moto.

use aws_adapters::dynamodb::client_request_token;
use aws_adapters::{DynamoChanges, OutboxTable, TicketsTable};
use aws_smithy_http_client::test_util::{ReplayEvent, StaticReplayClient};
use chrono::Utc;
use domain::Error;
use domain::change::{Change, Write};
use domain::events::EventType;
use domain::ports::ChangeStore;
use serde_json::Value;

use crate::replay::{self, dynamodb_answer};

/// A transaction cancelled as DynamoDB cancels it, with one reason per item.
fn cancelled(reasons: &[&str]) -> ReplayEvent {
    let reasons: Vec<Value> = reasons.iter().map(|code| serde_json::json!({ "Code": code })).collect();
    let body = serde_json::json!({
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons",
        "CancellationReasons": reasons,
    });
    dynamodb_answer(400, &body.to_string())
}

fn committed() -> ReplayEvent {
    dynamodb_answer(200, "{}")
}

/// DynamoDB's refusal of a request with the error `kind`.
fn refused(kind: &str, message: &str) -> ReplayEvent {
    let body = serde_json::json!({ "__type": format!("com.amazonaws.dynamodb.v20120810#{kind}"), "Message": message });
    dynamodb_answer(400, &body.to_string())
}

/// A DynamoDB client whose requests are answered, in order, by `events`.
fn replaying(events: Vec<ReplayEvent>) -> (aws_sdk_dynamodb::Client, StaticReplayClient) {
    let (aws, http) = replay::replaying(events);
    (aws.dynamodb(), http)
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
    let (changes, http) = changes(vec![refused("TransactionInProgressException", "in progress"), committed()]);
    changes.commit(&listing()).await.expect("committed once the first attempt finished");
    assert_eq!(http.actual_requests().count(), 2);
}

#[tokio::test]
async fn any_other_failure_is_internal() {
    let (changes, _) = changes(vec![refused("ValidationException", "bad request")]);
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
    let users = aws_adapters::DynamoUsers::new(client, &aws_adapters::UsersTable("users".into()));
    (users.announcing(&aws_adapters::OutboxTable("outbox".into())), http)
}

/// The put refused because `stored_id`'s account holds the email, as DynamoDB answers when
/// asked to return the item in the way.
fn taken_by(stored_id: &str) -> ReplayEvent {
    let body = serde_json::json!({
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]",
        "CancellationReasons": [
            {
                "Code": "ConditionalCheckFailed",
                "Message": "The conditional request failed",
                "Item": {
                    "email": { "S": "ada@example.com" },
                    "id": { "S": stored_id },
                    "password_hash": { "S": "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA" },
                    "created_at": { "S": "2026-11-26T10:00:00Z" }
                }
            },
            { "Code": "None" }
        ]
    });
    dynamodb_answer(400, &body.to_string())
}

fn user(id: &str) -> domain::entities::User {
    domain::entities::User {
        id: domain::ids::UserId::from(id),
        email: domain::entities::Email::parse("ada@example.com").unwrap(),
        password_hash: domain::entities::PasswordHash::from_phc("$argon2id$x".into()),
        created_at: Utc::now(),
        session_generation: 0,
        mail_suppressed: None,
        reset_token: None,
        email_verified_at: None,
        verification_token: None,
    }
}

#[tokio::test]
async fn a_taken_email_is_known_from_the_refused_put_alone() {
    use domain::ports::UserStore;
    let (store, http) = users(vec![taken_by("01OTHER")]);
    let asked = domain::users::verification_requested(&domain::ids::UserId::from("01MINE"), Utc::now()).unwrap();
    let outcome = store.insert(&user("01MINE"), std::slice::from_ref(&asked)).await;
    assert!(matches!(outcome, Err(Error::Conflict("Email in use"))), "{outcome:?}");
    assert_eq!(http.actual_requests().count(), 1, "no read after the put: sign-up may only put");
    let body: Value = serde_json::from_slice(http.actual_requests().next().unwrap().body().bytes().unwrap()).unwrap();
    assert_eq!(body["TransactItems"][0]["Put"]["ReturnValuesOnConditionCheckFailure"], "ALL_OLD");

    let (store, _) = users(vec![taken_by("01MINE")]);
    store.insert(&user("01MINE"), &[asked]).await.expect("a retried insert that had committed is a success");
}

/// A seller lists tens of thousands of tickets dated a few minutes ahead; once their date has
/// passed, the index still holds them (until they are written again), and one public listing
/// request reads one page's worth of them: one `Query` of at most `limit + 1` items, answered
/// with a short page and a next link, never a walk through them all.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_listing_request_reads_at_most_a_page_however_many_past_dated_tickets_the_index_holds() {
    use aws_adapters::DynamoTickets;
    use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
    use domain::entities::TicketFilter;
    use domain::page::PageRequest;
    use domain::ports::TicketStore;
    use ticketing_tests::moto;

    const PAST_DATED: usize = 20_000;
    let client = moto::dynamodb().await;
    let table = moto::tickets_table(&client).await;
    let soon = Utc::now() + chrono::Duration::minutes(10);
    let dated = |date| domain::entities::Ticket { date: Some(date), ..domain::testing::ticket("01JFLOODER", "Flood") };
    let items: Vec<_> = (0..PAST_DATED).map(|_| DynamoTickets::item(&dated(soon)).unwrap()).collect();
    let mut writes = tokio::task::JoinSet::new();
    let batches: Vec<Vec<_>> = items.chunks(25).map(<[_]>::to_vec).collect();
    let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(16));
    for batch in batches {
        let (client, name, limit) = (client.clone(), table.name().to_owned(), limit.clone());
        writes.spawn(async move {
            let _permit = limit.acquire().await.unwrap();
            let requests = batch
                .into_iter()
                .map(|item| {
                    let put = PutRequest::builder().set_item(Some(item)).build().unwrap();
                    WriteRequest::builder().put_request(put).build()
                })
                .collect();
            let written = client.batch_write_item().request_items(name, requests).send().await.unwrap();
            assert!(written.unprocessed_items.is_none_or(|left| left.is_empty()), "moto takes every item");
        });
    }
    writes.join_all().await;
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let tomorrow = dated(Utc::now() + chrono::Duration::days(1));
    client
        .put_item()
        .table_name(table.name())
        .set_item(Some(DynamoTickets::item(&tomorrow).unwrap()))
        .send()
        .await
        .unwrap();

    // An hour later: every flooding ticket is past; tomorrow's, the newest, is still to come.
    let recorder = ticketing_tests::recorder::Recorder::start(&moto::endpoint()).await;
    let store = DynamoTickets::new(moto::dynamodb_through(&recorder.url).await, &table);
    let later = TicketFilter::Available(Utc::now() + chrono::Duration::hours(1));
    let first = store.list(&later, &PageRequest::first(10)).await.unwrap();
    assert_eq!(first.items.iter().map(|ticket| &ticket.id).collect::<Vec<_>>(), [&tomorrow.id]);
    let next = first.next.clone().expect("a next link: the page dropped past-dated tickets");
    let second = store.list(&later, &PageRequest { limit: 10, after: Some(next) }).await.unwrap();
    assert!(second.items.is_empty() && second.next.is_some(), "a page of dropped tickets, and a next link");
    let recorded = recorder.take();
    let queries: Vec<_> = recorded.iter().filter(|call| call.operation == "dynamodb:Query").collect();
    assert_eq!(
        queries.len(),
        2,
        "one Query a request: {:?}",
        recorded.iter().map(|r| &r.operation).collect::<Vec<_>>()
    );
    for query in queries {
        assert!(query.scanned.is_some_and(|read| read <= 11), "read {:?} items for a page of 10", query.scanned);
    }
}

/// Tickets listed while their event was to come leave the listing's index once a sweep runs
/// after it: only their index attributes go (the ticket and its version stay), a ticket still
/// to come stays listed, and a second sweep finds nothing.
#[tokio::test]
async fn the_sweep_takes_tickets_whose_event_has_passed_out_of_the_listings_index() {
    use aws_adapters::DynamoTickets;
    use domain::entities::TicketFilter;
    use domain::page::PageRequest;
    use domain::ports::{ListingIndex, TicketStore};
    use ticketing_tests::moto;

    let client = moto::dynamodb().await;
    let table = moto::tickets_table(&client).await;
    let store = DynamoTickets::new(client.clone(), &table);
    let dated = |date| domain::entities::Ticket { date: Some(date), ..domain::testing::ticket("01JSELLER", "Gig") };
    let soon: Vec<_> = (0..30).map(|_| dated(Utc::now() + chrono::Duration::minutes(10))).collect();
    let later = dated(Utc::now() + chrono::Duration::days(1));
    let undated = domain::testing::ticket("01JSELLER", "Undated");
    for ticket in soon.iter().chain([&later, &undated]) {
        client
            .put_item()
            .table_name(table.name())
            .set_item(Some(DynamoTickets::item(ticket).unwrap()))
            .send()
            .await
            .unwrap();
    }
    let in_an_hour = Utc::now() + chrono::Duration::hours(1);
    assert_eq!(store.unlist_past(Utc::now(), 100).await.unwrap(), 0, "nothing has passed yet");
    assert_eq!(store.unlist_past(in_an_hour, 20).await.unwrap(), 20, "up to the limit");
    assert_eq!(store.unlist_past(in_an_hour, 100).await.unwrap(), 10);
    assert_eq!(store.unlist_past(in_an_hour, 100).await.unwrap(), 0, "a second sweep finds nothing");

    let listed = client
        .scan()
        .table_name(table.name())
        .index_name(DynamoTickets::AVAILABLE_INDEX)
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    let mut ids: Vec<String> = listed.iter().map(|item| item[DynamoTickets::KEY].as_s().unwrap().to_owned()).collect();
    ids.sort();
    let mut expected = vec![later.id.to_string(), undated.id.to_string()];
    expected.sort();
    assert_eq!(ids, expected, "only the tickets still to come are in the index");
    let kept = store.get(&soon[0].id).await.unwrap().expect("the ticket itself stays");
    assert_eq!((kept.version, &kept.title), (soon[0].version, &soon[0].title));
    let page = store.list(&TicketFilter::Available(in_an_hour), &PageRequest::first(10)).await.unwrap();
    assert_eq!((page.items.len(), page.next), (2, None), "one full read, nothing past to drop");
}
