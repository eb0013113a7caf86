//! The outbox relay against moto server: stream records in, events on an EventBridge bus
//! out, delivered by a rule to an SQS queue. A refused publish loses nothing.

use aws_adapters::{EventBridgePublisher, EventBusName};
use aws_lambda_events::event::dynamodb::Event as StreamEvent;
use chrono::Utc;
use domain::change::{Change, Write};
use domain::events::{Event, EventType};
use domain::ports::ChangeStore;
use domain::testing::OutboxProbe;
use edge::sqs::BusEvent;
use serde_json::{Value, json};
use ticketing_tests::{moto, repo_root, unique_name};

fn sample_stream() -> (StreamEvent, Event) {
    let text = std::fs::read_to_string(repo_root().join("events/outbox-relay/ticket-created.json")).unwrap();
    let raw: Value = serde_json::from_str(&text).unwrap();
    let event_json = raw["Records"][0]["dynamodb"]["NewImage"]["event"]["S"].as_str().unwrap();
    (serde_json::from_str(&text).expect("a DynamoDB stream event"), serde_json::from_str(event_json).unwrap())
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

fn bus_events(messages: &[aws_sdk_sqs::types::Message]) -> Vec<BusEvent> {
    messages.iter().map(|m| serde_json::from_str(m.body().unwrap()).expect("a bus event")).collect()
}

#[tokio::test]
async fn the_sample_stream_event_publishes_its_insert_and_skips_the_ttl_removal() {
    let (stream, event) = sample_stream();
    let (bus, queue) = moto::bus_to_queue(&EventType::ALL).await;
    let publisher = EventBridgePublisher::new(moto::eventbridge().await, &bus);

    let response = outbox_relay::handle(&publisher, stream).await;
    assert!(response.batch_item_failures.is_empty(), "{:?}", response.batch_item_failures);

    let delivered = bus_events(&moto::receive(&queue, 2, 3).await);
    assert_eq!(delivered.len(), 1, "only the INSERT is an event to publish");
    assert_eq!(delivered[0].source, "ticketing.tickets");
    assert_eq!(delivered[0].detail_type, "ticket.created");
    assert_eq!(delivered[0].detail, event);
}

#[tokio::test]
async fn a_refused_publish_is_retried_from_its_record_and_the_event_still_arrives() {
    // A committed ticket write leaves its event in the outbox table.
    let (store, outbox) = moto::stores().await;
    let ticket = domain::testing::ticket("seller", "Concert");
    let created = ticket.event(EventType::TicketCreated, Utc::now()).unwrap();
    let change = Change { tickets: vec![Write::Insert(ticket)], events: vec![created.clone()], ..Change::default() };
    store.commit(&change).await.unwrap();
    assert_eq!(outbox.events().await, vec![created.clone()]);
    let items = outbox.client.scan().table_name(&outbox.table).send().await.unwrap().items.unwrap();

    // The bus is unreachable (it does not exist): the relay reports the record, so the
    // stream retries it instead of moving on.
    let unreachable = EventBridgePublisher::new(moto::eventbridge().await, &EventBusName(unique_name("missing-bus")));
    let response = outbox_relay::handle(&unreachable, stream_of(items.clone())).await;
    let failed: Vec<_> = response.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect();
    assert_eq!(failed, [Some("1".to_owned())]);

    // The retry, with the bus back, delivers the event.
    let (bus, queue) = moto::bus_to_queue(&[EventType::TicketCreated]).await;
    let publisher = EventBridgePublisher::new(moto::eventbridge().await, &bus);
    let response = outbox_relay::handle(&publisher, stream_of(items)).await;
    assert!(response.batch_item_failures.is_empty());
    let delivered = bus_events(&moto::receive(&queue, 1, 5).await);
    assert_eq!(delivered.iter().map(|d| &d.detail).collect::<Vec<_>>(), [&created]);
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
