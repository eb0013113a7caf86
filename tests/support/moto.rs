//! The moto server `scripts/test` started: clients of it, and tables, buses and queues made
//! as the template makes them, each under a name of its own.

use aws_adapters::{
    Aws, DynamoChanges, DynamoInbox, DynamoNotifications, DynamoOrders, DynamoPayments, DynamoPayouts,
    DynamoSignInAttempts, DynamoTickets, DynamoUsers, EventBusName, InboxTable, NotificationsTable, OrdersTable,
    Outbox, OutboxTable, PaymentsTable, PayoutsTable, SignInAttemptsTable, TicketsTable, UsersTable,
};
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, StreamSpecification, StreamViewType,
};
use domain::ports::StoreSet;
use domain::testing::OutboxProbe;

pub fn endpoint() -> String {
    std::env::var("MOTO_ENDPOINT")
        .expect("MOTO_ENDPOINT is not set: run the suite with scripts/test, which starts moto server")
}

pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .endpoint_url(endpoint())
        .load()
        .await
}

/// The clients of every adapter, on moto.
pub async fn aws() -> Aws {
    Aws::from_config(sdk_config().await)
}

pub async fn dynamodb() -> aws_sdk_dynamodb::Client {
    aws().await.dynamodb()
}

/// A new bucket of its own (its name), and the ticket files in it.
pub async fn files() -> (String, aws_adapters::S3Files) {
    let bucket = super::unique_name("files").to_lowercase();
    let created = reqwest::Client::new().put(format!("{}/{bucket}", endpoint())).send().await.expect("moto answers");
    assert!(created.status().is_success(), "moto creates the bucket: {}", created.status());
    let files = aws_adapters::S3Files::new(aws().await.s3(), &aws_adapters::FilesBucket(bucket.clone()));
    (bucket, files)
}

/// Puts `bytes` under `key` straight into `bucket` (moto's S3 takes requests unsigned).
pub async fn put_object(bucket: &str, key: &str, bytes: &[u8]) {
    let url = format!("{}/{bucket}/{key}", endpoint());
    let put = reqwest::Client::new().put(url).body(bytes.to_vec()).send().await.expect("moto answers");
    assert!(put.status().is_success(), "moto stores {key}: {}", put.status());
}

fn key(name: &str, key_type: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder().attribute_name(name).key_type(key_type).build().expect("complete key")
}

/// How `template.yaml` projects its index `name` keyed on `partition` (every index made here
/// is one of the template's: an index it does not define fails the test).
fn projection(name: &str, partition: &str) -> ProjectionType {
    static TEMPLATE: std::sync::OnceLock<serde_norway::Value> = std::sync::OnceLock::new();
    let template = TEMPLATE.get_or_init(crate::template);
    let indexes = template["Resources"]
        .as_mapping()
        .into_iter()
        .flatten()
        .filter_map(|(_, resource)| resource["Properties"]["GlobalSecondaryIndexes"].as_sequence())
        .flatten();
    let index = indexes
        .into_iter()
        .find(|index| {
            index["IndexName"].as_str() == Some(name)
                && index["KeySchema"][0]["AttributeName"].as_str() == Some(partition)
        })
        .unwrap_or_else(|| panic!("template.yaml defines no index {name} keyed on {partition}"));
    ProjectionType::from(index["Projection"]["ProjectionType"].as_str().unwrap_or("ALL"))
}

/// An attribute as `template.yaml` defines it: the reservation's end is a number.
fn attribute(name: &str) -> AttributeDefinition {
    let numbers = [DynamoOrders::OPEN_UNTIL, DynamoPayouts::DUE_AT, DynamoTickets::LISTED_UNTIL];
    let kind = if numbers.contains(&name) { ScalarAttributeType::N } else { ScalarAttributeType::S };
    AttributeDefinition::builder().attribute_name(name).attribute_type(kind).build().expect("complete attribute")
}

fn string_attribute(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .expect("complete attribute")
}

/// Creates a table with its own name: string partition key `hash` (and sort key `range`),
/// and for each `(index, partition key, sort key)` a global secondary index, all
/// attributes projected.
async fn create_table(
    client: &aws_sdk_dynamodb::Client,
    prefix: &str,
    hash: &str,
    range: Option<&str>,
    indexes: &[(&str, &str, Option<&str>)],
) -> String {
    let name = super::unique_name(prefix);
    let mut request = client
        .create_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(string_attribute(hash))
        .key_schema(key(hash, KeyType::Hash))
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewImage)
                .build()
                .expect("stream"),
        );
    if let Some(range) = range {
        request = request.attribute_definitions(string_attribute(range)).key_schema(key(range, KeyType::Range));
    }
    // Each attribute is defined once, however many keys name it.
    let mut defined: std::collections::BTreeSet<&str> = [hash].into_iter().chain(range).collect();
    for (index, partition, sort) in indexes {
        let mut schema = vec![key(partition, KeyType::Hash)];
        schema.extend(sort.map(|sort| key(sort, KeyType::Range)));
        if let Some(sort) = sort.filter(|sort| defined.insert(sort)) {
            request = request.attribute_definitions(attribute(sort));
        }
        if defined.insert(partition) {
            request = request.attribute_definitions(string_attribute(partition));
        }
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(*index)
                .set_key_schema(Some(schema))
                .projection(Projection::builder().projection_type(projection(index, partition)).build())
                .build()
                .expect("complete index"),
        );
    }
    request.send().await.expect("moto creates the table");
    name
}

/// A DynamoDB user store over a fresh table, keyed as in `template.yaml`.
pub async fn user_store() -> DynamoUsers {
    users_and_outbox().await.0
}

/// A users table of its own, with its outbox (a new account's events), and a probe of it.
pub async fn users_and_outbox() -> (DynamoUsers, DynamoOutboxProbe) {
    let client = dynamodb().await;
    let table =
        create_table(&client, "users", DynamoUsers::KEY, None, &[(DynamoUsers::ID_INDEX, DynamoUsers::ID, None)]).await;
    let outbox = OutboxTable(create_table(&client, "outbox", Outbox::KEY, None, &[]).await);
    let users = DynamoUsers::new(client.clone(), &UsersTable(table)).announcing(&outbox);
    (users, DynamoOutboxProbe { client, table: outbox.0 })
}

/// The DynamoDB stores of a payments function over fresh tickets, orders, payments and
/// outbox tables, and a probe of the outbox.
pub type AllStores = StoreSet<DynamoTickets, DynamoOrders, DynamoPayments, DynamoChanges, DynamoPayouts>;

/// A tickets table of its own, with the template's indexes.
pub async fn tickets_table(client: &aws_sdk_dynamodb::Client) -> TicketsTable {
    let indexes = [
        (DynamoTickets::AVAILABLE_INDEX, DynamoTickets::LISTING, Some(DynamoTickets::KEY)),
        (DynamoTickets::SELLER_INDEX, DynamoTickets::SELLER, Some(DynamoTickets::KEY)),
        (DynamoTickets::OPEN_INDEX, DynamoTickets::SELLER, Some(DynamoTickets::LISTED_UNTIL)),
        (DynamoTickets::LISTED_BY_DATE_INDEX, DynamoTickets::LISTING, Some(DynamoTickets::LISTED_UNTIL)),
    ];
    TicketsTable(create_table(client, "tickets", DynamoTickets::KEY, None, &indexes).await)
}

/// A DynamoDB client whose requests go through `proxy` (a recording proxy) to moto.
pub async fn dynamodb_through(proxy: &str) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk_config().await).endpoint_url(proxy).build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

pub async fn stores() -> (AllStores, DynamoOutboxProbe) {
    let client = dynamodb().await;
    let tickets = tickets_table(&client).await;
    let orders = OrdersTable(
        create_table(
            &client,
            "orders",
            DynamoOrders::KEY,
            None,
            &[
                (DynamoOrders::BUYER_INDEX, DynamoOrders::BUYER, Some(DynamoOrders::KEY)),
                (DynamoOrders::OPEN_INDEX, DynamoOrders::OPEN, Some(DynamoOrders::OPEN_UNTIL)),
            ],
        )
        .await,
    );
    let payments = PaymentsTable(
        create_table(
            &client,
            "payments",
            DynamoPayments::KEY,
            None,
            &[(DynamoPayments::INTENT_INDEX, DynamoPayments::INTENT, None)],
        )
        .await,
    );
    let payouts = PayoutsTable(
        create_table(
            &client,
            "payouts",
            DynamoPayouts::KEY,
            None,
            &[
                (DynamoPayouts::SELLER_INDEX, DynamoPayouts::SELLER, Some(DynamoPayouts::KEY)),
                (DynamoPayouts::DUE_INDEX, DynamoPayouts::DUE, Some(DynamoPayouts::DUE_AT)),
                (DynamoPayouts::ACCOUNT_INDEX, DynamoPayouts::ACCOUNT, None),
            ],
        )
        .await,
    );
    let outbox = OutboxTable(create_table(&client, "outbox", Outbox::KEY, None, &[]).await);
    let stores = StoreSet {
        tickets: DynamoTickets::new(client.clone(), &tickets),
        orders: DynamoOrders::new(client.clone(), &orders),
        payments: DynamoPayments::new(client.clone(), &payments),
        changes: DynamoChanges::new(client.clone(), &outbox)
            .with_tickets(&tickets)
            .with_orders(&orders)
            .with_payments(&payments)
            .with_payouts(&payouts),
        payouts: DynamoPayouts::new(client.clone(), &payouts),
    };
    (stores, DynamoOutboxProbe { client, table: outbox.0 })
}

/// A notifications table of its own (partition `user_id`, sort `id`).
pub async fn notification_store() -> DynamoNotifications {
    let client = dynamodb().await;
    let table =
        create_table(&client, "notifications", DynamoNotifications::PARTITION, Some(DynamoNotifications::SORT), &[])
            .await;
    DynamoNotifications::new(client, &NotificationsTable(table))
}

pub async fn sign_in_attempts() -> DynamoSignInAttempts {
    let client = dynamodb().await;
    let table = create_table(&client, "attempts", DynamoSignInAttempts::KEY, None, &[]).await;
    DynamoSignInAttempts::new(client, &SignInAttemptsTable(table))
}

pub async fn inbox() -> DynamoInbox {
    let client = dynamodb().await;
    let table = create_table(&client, "inbox", DynamoInbox::KEY, None, &[]).await;
    DynamoInbox::new(client, &InboxTable(table))
}

/// A bus of its own whose rule sends events of `types` to a queue of its own:
/// returns the bus name and the queue URL.
pub async fn bus_to_queue(types: &[domain::events::EventType]) -> (EventBusName, String) {
    let config = sdk_config().await;
    let (events, sqs) = (aws_sdk_eventbridge::Client::new(&config), aws_sdk_sqs::Client::new(&config));
    let bus = super::unique_name("bus");
    events.create_event_bus().name(&bus).send().await.expect("moto creates the bus");
    let queue_url = sqs
        .create_queue()
        .queue_name(super::unique_name("consumer"))
        .send()
        .await
        .expect("moto creates the queue")
        .queue_url
        .expect("a queue url");
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("queue attributes")
        .attributes
        .and_then(|attributes| attributes.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn).cloned())
        .expect("a queue arn");
    let pattern = serde_json::json!({
        "source": types.iter().map(|kind| kind.source()).collect::<std::collections::BTreeSet<_>>(),
        "detail-type": types.iter().map(|kind| kind.as_str()).collect::<Vec<_>>(),
    });
    let rule = super::unique_name("rule");
    events
        .put_rule()
        .name(&rule)
        .event_bus_name(&bus)
        .event_pattern(pattern.to_string())
        .send()
        .await
        .expect("moto creates the rule");
    events
        .put_targets()
        .rule(&rule)
        .event_bus_name(&bus)
        .targets(aws_sdk_eventbridge::types::Target::builder().id("queue").arn(queue_arn).build().expect("target"))
        .send()
        .await
        .expect("moto adds the target");
    (EventBusName(bus), queue_url)
}

/// Waits (long polling, up to `seconds` in all) for `count` messages on `queue_url`,
/// deleting what it receives.
pub async fn receive(queue_url: &str, count: usize, seconds: i32) -> Vec<aws_sdk_sqs::types::Message> {
    let sqs = aws_sdk_sqs::Client::new(&sdk_config().await);
    let mut messages = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds as u64);
    while messages.len() < count && std::time::Instant::now() < deadline {
        let output = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive");
        for message in output.messages.unwrap_or_default() {
            if let Some(handle) = &message.receipt_handle {
                sqs.delete_message().queue_url(queue_url).receipt_handle(handle).send().await.expect("delete");
            }
            messages.push(message);
        }
    }
    messages
}

/// A FIFO queue of its own, as the outbound notifications queue is: returns its URL.
pub async fn fifo_queue(prefix: &str) -> String {
    let sqs = aws_sdk_sqs::Client::new(&sdk_config().await);
    sqs.create_queue()
        .queue_name(format!("{}.fifo", super::unique_name(prefix)))
        .attributes(aws_sdk_sqs::types::QueueAttributeName::FifoQueue, "true")
        .send()
        .await
        .expect("moto creates the queue")
        .queue_url
        .expect("a queue url")
}

/// A standard queue of its own: returns its URL.
pub async fn queue(prefix: &str) -> String {
    let sqs = aws_sdk_sqs::Client::new(&sdk_config().await);
    sqs.create_queue()
        .queue_name(super::unique_name(prefix))
        .send()
        .await
        .expect("moto creates the queue")
        .queue_url
        .expect("a queue url")
}

pub async fn eventbridge() -> aws_sdk_eventbridge::Client {
    aws().await.eventbridge()
}

/// The DynamoDB outbox table, read by a scan.
pub struct DynamoOutboxProbe {
    pub client: aws_sdk_dynamodb::Client,
    pub table: String,
}

impl OutboxProbe for DynamoOutboxProbe {
    async fn events(&self) -> Vec<domain::events::Event> {
        let items = self.client.scan().table_name(&self.table).send().await.expect("scan").items.unwrap_or_default();
        let stored: Vec<Vec<domain::events::Event>> = items
            .into_iter()
            .map(aws_adapters::Outbox::events_from_image)
            .collect::<Result<_, _>>()
            .expect("outbox records decode");
        let mut events: Vec<domain::events::Event> = stored.into_iter().flatten().collect();
        events.sort_by(|a, b| a.id.cmp(&b.id));
        events
    }
}

/// A mail sender on moto's SES v2, from an identity of its own that it verified first (moto,
/// as SES's sandbox, refuses any other), and the identity's address.
pub async fn mailer() -> (aws_adapters::SesMailer, String) {
    let client = aws().await.sesv2();
    let from = format!("{}@example.com", super::unique_name("tickets"));
    client.create_email_identity().email_identity(&from).send().await.expect("moto verifies the identity");
    let sender = aws_adapters::MailSender { from: from.clone(), configuration_set: "ticketing-mail".to_owned() };
    (aws_adapters::SesMailer::new(client, &sender), from)
}

/// A mail moto's SES recorded as sent: from, subject and body (the HTML part, when there is
/// one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMail {
    pub from: String,
    pub subject: String,
    pub body: String,
}

/// What moto's SES recorded as sent to `to` (from its state, `/moto-api/data.json`, its SES
/// models alone: `scripts/moto_server.py` dumps one service on request, and skips what other
/// tests are changing rather than failing).
pub async fn sent_mail(to: &str) -> Vec<SentMail> {
    let state: serde_json::Value = reqwest::get(format!("{}/moto-api/data.json?service=ses", endpoint()))
        .await
        .and_then(reqwest::Response::error_for_status)
        .expect("moto's SES state")
        .json()
        .await
        .expect("moto's state is JSON");
    let messages = state["ses"]["Message"].as_array().cloned().unwrap_or_default();
    messages
        .iter()
        .filter(|message| {
            message["destinations"]["ToAddresses"].as_array().is_some_and(|to_| to_.iter().any(|address| address == to))
        })
        .map(|message| SentMail {
            from: message["source"].as_str().unwrap_or_default().to_owned(),
            subject: message["subject"].as_str().unwrap_or_default().to_owned(),
            body: message["body"].as_str().unwrap_or_default().to_owned(),
        })
        .collect()
}
