//! The outbox relay against moto server: stream records in, events on an EventBridge bus
//! out, delivered by a rule to an SQS queue. A refused publish loses nothing; an event no
//! consumer subscribes to is not published.

use aws_adapters::{EventBridgePublisher, EventBusName, RelayDeadLetterQueue, SqsDeadLetters};
use aws_lambda_events::event::dynamodb::Event as StreamEvent;
use aws_smithy_http_client::test_util::StaticReplayClient;
use chrono::Utc;
use domain::change::{Change, Write};
use domain::events::{Event, EventType};
use domain::ports::{ChangeStore, EventPublisher};
use domain::testing::OutboxProbe;
use edge::deliveries::BusEvent;
use serde_json::{Value, json};
use ticketing_tests::{moto, repo_root, unique_name};

use crate::replay;

/// The sample stream event, and the events of its first record (an order's creation).
fn sample_stream() -> (StreamEvent, Vec<Event>) {
    let text = std::fs::read_to_string(repo_root().join("events/outbox-relay/order-created.json")).unwrap();
    let raw: Value = serde_json::from_str(&text).unwrap();
    let events_json = raw["Records"][0]["dynamodb"]["NewImage"]["events"]["S"].as_str().unwrap();
    (serde_json::from_str(&text).expect("a DynamoDB stream event"), serde_json::from_str(events_json).unwrap())
}

/// A stream event carrying `items` of the outbox table as INSERT records, numbered from 1.
fn stream_of(items: Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>>) -> StreamEvent {
    let records: Vec<Value> = items
        .into_iter()
        .enumerate()
        .map(|(n, item)| {
            let image = serde_json::to_value(serde_dynamo::Item::from(item)).unwrap();
            json!({
                "eventID": format!("event-{n}"),
                "eventName": "INSERT",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "dynamodb": { "Keys": { "id": image["id"] }, "NewImage": image, "SequenceNumber": format!("{}", n + 1), "SizeBytes": 100, "StreamViewType": "NEW_IMAGE" },
                "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/outbox/stream/2026-11-26T00:00:00.000"
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

/// A dead-letter queue of its own for the relay.
async fn dead_letters() -> SqsDeadLetters {
    dead_letters_at(&moto::queue("relay-dlq").await).await
}

async fn dead_letters_at(queue_url: &str) -> SqsDeadLetters {
    let sqs = aws_sdk_sqs::Client::new(&moto::sdk_config().await);
    SqsDeadLetters::new(sqs, &RelayDeadLetterQueue(queue_url.to_owned()))
}

fn bus_events(messages: &[aws_sdk_sqs::types::Message]) -> Vec<BusEvent> {
    messages.iter().map(|m| serde_json::from_str(m.body().unwrap()).expect("a bus event")).collect()
}

#[tokio::test]
async fn the_sample_stream_event_publishes_its_insert_and_skips_the_ttl_removal() {
    let (stream, events) = sample_stream();
    let kinds: Vec<EventType> = events.iter().map(|event| event.kind).collect();
    assert_eq!(kinds, [EventType::OrderCreated, EventType::TicketUpdated], "the order's change: one record");
    let (bus, queue) = moto::bus_to_queue(&EventType::ALL).await;
    let publisher = EventBridgePublisher::new(moto::eventbridge().await, &bus);

    let response = outbox_relay::handle(&publisher, &dead_letters().await, stream).await;
    assert!(response.batch_item_failures.is_empty(), "{:?}", response.batch_item_failures);

    let delivered = bus_events(&moto::receive(&queue, 2, 3).await);
    assert_eq!(delivered.len(), 1, "only the INSERT holds events, and only its order.created has a subscriber");
    assert_eq!(delivered[0].source, "ticketing.orders");
    assert_eq!(delivered[0].detail_type, "order.created");
    assert_eq!(delivered[0].detail, events[0]);
}

/// A committed change of a ticket, with an event of a type a consumer subscribes to (so that
/// the relay publishes it); the event.
async fn commit_with_an_event(store: &impl ChangeStore, title: &str) -> Event {
    let ticket = domain::testing::ticket("seller", title);
    let event =
        Event::new(EventType::OrderCreated, 0, &json!({ "ticketId": ticket.id, "title": title }), Utc::now()).unwrap();
    let change = Change { tickets: vec![Write::Insert(ticket)], events: vec![event.clone()], ..Change::default() };
    store.commit(&change).await.unwrap();
    event
}

#[tokio::test]
async fn a_refused_publish_is_retried_from_its_record_and_the_events_still_arrive() {
    // A committed change leaves its events in the outbox table, as one item.
    let (store, outbox) = moto::stores().await;
    let ticket = domain::testing::ticket("seller", "Concert");
    let data = json!({ "ticketId": ticket.id });
    let events = vec![
        Event::new(EventType::OrderCreated, 0, &data, Utc::now()).unwrap(),
        Event::new(EventType::OrderCancelled, 1, &data, Utc::now()).unwrap(),
    ];
    let change = Change { tickets: vec![Write::Insert(ticket)], events: events.clone(), ..Change::default() };
    store.commit(&change).await.unwrap();
    let mut stored = outbox.events().await;
    stored.sort_by_key(|event| event.version);
    assert_eq!(stored, events);
    let items = outbox.client.scan().table_name(&outbox.table).send().await.unwrap().items.unwrap();
    assert_eq!(items.len(), 1, "a change's events are one outbox item (a transaction bills every item twice)");

    // The bus is unreachable (it does not exist): the relay reports the record, so the
    // stream retries it instead of moving on.
    let unreachable = EventBridgePublisher::new(moto::eventbridge().await, &EventBusName(unique_name("missing-bus")));
    let response = outbox_relay::handle(&unreachable, &dead_letters().await, stream_of(items.clone())).await;
    let failed: Vec<_> = response.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect();
    assert_eq!(failed, [Some("1".to_owned())]);

    // The retry, with the bus back, delivers the events.
    assert_eq!(relayed(items, &[EventType::OrderCreated, EventType::OrderCancelled], 2).await, events);
}

/// What the relay publishes of the outbox's `items` to a bus whose rule routes `types` to a
/// queue: the `expected` number of events received there, by version.
async fn relayed(
    items: Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>>,
    types: &[EventType],
    expected: usize,
) -> Vec<Event> {
    let (bus, queue) = moto::bus_to_queue(types).await;
    let publisher = EventBridgePublisher::new(moto::eventbridge().await, &bus);
    let response = outbox_relay::handle(&publisher, &dead_letters().await, stream_of(items)).await;
    assert!(response.batch_item_failures.is_empty());
    let mut delivered: Vec<Event> =
        bus_events(&moto::receive(&queue, expected, 5).await).into_iter().map(|d| d.detail).collect();
    delivered.sort_by_key(|event| event.version);
    delivered
}

/// A change whose events would take its item past a write unit is stored deflated (one unit
/// on DynamoDB's bill); the stream's image of it publishes every event, in order.
#[tokio::test]
async fn a_change_stored_deflated_is_published_whole() {
    let (store, outbox) = moto::stores().await;
    let ticket = domain::testing::ticket("seller", "Concert");
    let data = json!({ "ticketId": ticket.id, "title": "A long evening of chamber music", "venue": "x".repeat(200) });
    let events: Vec<Event> =
        (0..4).map(|n| Event::new(EventType::OrderCreated, n, &data, Utc::now()).unwrap()).collect();
    let change = Change { tickets: vec![Write::Insert(ticket)], events: events.clone(), ..Change::default() };
    store.commit(&change).await.unwrap();
    let items = outbox.client.scan().table_name(&outbox.table).send().await.unwrap().items.unwrap();
    assert!(items[0].contains_key("packed") && !items[0].contains_key("events"), "{:?}", items[0]);
    assert_eq!(relayed(items, &[EventType::OrderCreated], 4).await, events);
}

#[tokio::test]
async fn a_rule_routes_only_the_types_it_names() {
    let (bus, queue) = moto::bus_to_queue(&[EventType::TicketDeleted]).await;
    let publisher = EventBridgePublisher::new(moto::eventbridge().await, &bus);
    let data = json!({ "id": "t1" });
    let events: Vec<Event> = [EventType::TicketCreated, EventType::TicketUpdated, EventType::TicketDeleted]
        .into_iter()
        .enumerate()
        .map(|(version, kind)| Event::new(kind, version as u64, &data, Utc::now()).unwrap())
        .collect();
    domain::ports::EventPublisher::publish(&publisher, &events).await.unwrap();
    let delivered = bus_events(&moto::receive(&queue, 3, 3).await);
    assert_eq!(delivered.iter().map(|d| d.detail.kind).collect::<Vec<_>>(), [EventType::TicketDeleted]);
}

#[test]
fn every_event_type_has_a_bus_sample_that_decodes() {
    for kind in EventType::ALL {
        let path = repo_root().join(format!("events/bus/{}.json", kind.as_str()));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{} is missing", path.display()));
        let sample: BusEvent = serde_json::from_str(&text).expect("a bus event");
        assert_eq!(
            (sample.detail.kind, sample.detail_type.as_str(), sample.source.as_str()),
            (kind, kind.as_str(), kind.source())
        );
        assert_eq!(sample.detail.data["version"].as_u64(), Some(sample.detail.version), "data carries the version");
    }
}

#[tokio::test]
async fn a_record_that_never_decodes_is_parked_whole_and_the_stream_moves_on() {
    let (store, outbox) = moto::stores().await;
    let mut items = Vec::new();
    let mut published = Vec::new();
    for title in ["before", "after"] {
        published.push(commit_with_an_event(&store, title).await);
    }
    let mut scanned = outbox.client.scan().table_name(&outbox.table).send().await.unwrap().items.unwrap();
    scanned.sort_by_key(|item| item["id"].as_s().unwrap().clone());
    items.push(scanned[0].clone());
    let mut broken = scanned[0].clone();
    broken.insert("events".to_owned(), aws_sdk_dynamodb::types::AttributeValue::S("{not an event".to_owned()));
    broken.insert("id".to_owned(), aws_sdk_dynamodb::types::AttributeValue::S("broken".to_owned()));
    items.push(broken);
    items.push(scanned[1].clone());

    let (bus, queue) = moto::bus_to_queue(&[EventType::OrderCreated]).await;
    let publisher = EventBridgePublisher::new(moto::eventbridge().await, &bus);
    let dead_letter_queue = moto::queue("relay-dlq").await;
    let response = outbox_relay::handle(&publisher, &dead_letters_at(&dead_letter_queue).await, stream_of(items)).await;

    assert!(response.batch_item_failures.is_empty(), "the stream moves on: {:?}", response.batch_item_failures);
    let delivered = bus_events(&moto::receive(&queue, 2, 5).await);
    assert_eq!(delivered.iter().map(|d| &d.detail).collect::<Vec<_>>(), published.iter().collect::<Vec<_>>());
    let parked = moto::receive(&dead_letter_queue, 1, 5).await;
    assert_eq!(parked.len(), 1);
    let record: Value = serde_json::from_str(parked[0].body().unwrap()).unwrap();
    assert_eq!(
        record["dynamodb"]["NewImage"]["events"]["S"], "{not an event",
        "the record itself, not stream metadata"
    );
    assert_eq!(record["dynamodb"]["SequenceNumber"], "2");
}

#[tokio::test]
async fn an_event_no_consumer_subscribes_to_stays_in_the_outbox_and_is_not_published() {
    let (store, outbox) = moto::stores().await;
    let ticket = domain::testing::ticket("seller", "Concert");
    let listed = ticket.event(EventType::TicketCreated, Utc::now()).unwrap();
    let change = Change { tickets: vec![Write::Insert(ticket)], events: vec![listed.clone()], ..Change::default() };
    store.commit(&change).await.unwrap();
    let ordered = commit_with_an_event(&store, "Opera").await;
    let mut items = outbox.client.scan().table_name(&outbox.table).send().await.unwrap().items.unwrap();
    items.sort_by_key(|item| item["id"].as_s().unwrap().clone());
    assert_eq!(items.len(), 2, "both events are in the outbox");

    // A rule that would take both: only the subscribed one comes.
    let (bus, queue) = moto::bus_to_queue(&[EventType::TicketCreated, EventType::OrderCreated]).await;
    let publisher = EventBridgePublisher::new(moto::eventbridge().await, &bus);
    let response = outbox_relay::handle(&publisher, &dead_letters().await, stream_of(items)).await;
    assert!(response.batch_item_failures.is_empty(), "{:?}", response.batch_item_failures);
    let delivered = bus_events(&moto::receive(&queue, 2, 3).await);
    assert_eq!(delivered.iter().map(|d| &d.detail).collect::<Vec<_>>(), [&ordered]);
    assert!(!domain::relay::subscribed(EventType::TicketCreated) && domain::relay::subscribed(EventType::OrderCreated));
    assert!(outbox.events().await.contains(&listed), "the unpublished event stays in the outbox");
}

/// An EventBridge client whose calls get the recorded `responses`, in order.
fn replayed_eventbridge(responses: &[&str]) -> (aws_sdk_eventbridge::Client, StaticReplayClient) {
    let (aws, http) = replay::replaying(responses.iter().copied().map(replay::eventbridge_answer).collect());
    (aws.eventbridge(), http)
}

/// The event ids a recorded PutEvents request carried.
fn put_ids(request: &aws_smithy_runtime_api::client::orchestrator::HttpRequest) -> Vec<String> {
    let body: Value = serde_json::from_slice(request.body().bytes().expect("a buffered body")).unwrap();
    body["Entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            serde_json::from_str::<Value>(entry["Detail"].as_str().unwrap()).unwrap()["id"].as_str().unwrap().to_owned()
        })
        .collect()
}

#[tokio::test]
async fn when_the_bus_refuses_some_events_of_a_call_only_those_are_sent_again() {
    let (client, http) = replayed_eventbridge(&[
        r#"{"FailedEntryCount":1,"Entries":[{"EventId":"1"},{"ErrorCode":"InternalFailure","ErrorMessage":"try again"},{"EventId":"3"}]}"#,
        r#"{"FailedEntryCount":0,"Entries":[{"EventId":"2"}]}"#,
    ]);
    let publisher = EventBridgePublisher::new(client, &EventBusName("bus".to_owned()));
    let events: Vec<Event> = (0..3)
        .map(|version| Event::new(EventType::TicketUpdated, version, &json!({ "id": "t1" }), Utc::now()).unwrap())
        .collect();

    publisher.publish(&events).await.expect("published once the refused event went through");

    let requests: Vec<_> = http.actual_requests().collect();
    assert_eq!(requests.len(), 2);
    assert_eq!(put_ids(requests[0]), events.iter().map(|e| e.id.clone()).collect::<Vec<_>>());
    assert_eq!(put_ids(requests[1]), [events[1].id.clone()], "only the refused event is sent again");
}

#[tokio::test]
async fn an_event_the_bus_keeps_refusing_fails_the_publish() {
    let refused = r#"{"FailedEntryCount":1,"Entries":[{"ErrorCode":"InternalFailure","ErrorMessage":"down"}]}"#;
    let (client, http) = replayed_eventbridge(&[refused, refused, refused]);
    let publisher = EventBridgePublisher::new(client, &EventBusName("bus".to_owned()));
    let event = Event::new(EventType::TicketUpdated, 0, &json!({ "id": "t1" }), Utc::now()).unwrap();
    assert!(publisher.publish(&[event]).await.is_err(), "so the stream retries it");
    assert_eq!(http.actual_requests().count(), 3);
}

/// After an outage longer than the stream keeps records, the outbox still has the events (a
/// week): republishing a window sends exactly that window's events, oldest first, to the bus.
#[tokio::test]
async fn republishing_a_window_sends_the_outboxs_events_of_that_window_again() {
    let (store, outbox) = moto::stores().await;
    let now = Utc::now();
    let mut events = Vec::new();
    for minutes_ago in [180, 90, 30, 5] {
        let ticket = domain::testing::ticket("seller", &format!("{minutes_ago} minutes ago"));
        let created = ticket.event(EventType::TicketCreated, now - chrono::Duration::minutes(minutes_ago)).unwrap();
        let change =
            Change { tickets: vec![Write::Insert(ticket)], events: vec![created.clone()], ..Change::default() };
        store.commit(&change).await.unwrap();
        events.push(created);
    }
    let table = aws_adapters::OutboxTable(outbox.table.clone());
    let window = (now - chrono::Duration::minutes(120), now - chrono::Duration::minutes(10));
    let found = aws_adapters::Outbox::events_between(&outbox.client, &table, window.0, window.1).await.unwrap();
    assert_eq!(found, events[1..3], "the window's events, oldest first");

    let (bus, queue) = moto::bus_to_queue(&[EventType::TicketCreated]).await;
    EventBridgePublisher::new(moto::eventbridge().await, &bus).publish(&found).await.unwrap();
    let delivered = bus_events(&moto::receive(&queue, 3, 5).await);
    let mut ids: Vec<_> = delivered.iter().map(|event| event.detail.id.clone()).collect();
    ids.sort();
    let mut expected: Vec<_> = events[1..3].iter().map(|event| event.id.clone()).collect();
    expected.sort();
    assert_eq!(ids, expected, "exactly the window, each once");
}
