//! What the tests share: the local runner spawned on a random port with fresh storage,
//! and resources on the moto server that `scripts/test` starts.

use std::path::PathBuf;

use domain::testing::OutboxProbe;
use local::{Functions, LocalConfig, Retry, Subscription};
use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::Value;

pub use serde_json::json;

pub mod deployed;
pub mod lambda;
pub mod recorder;
pub mod samples;
pub mod stack;

/// The repository root, for tests that read its files.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is inside the repository").to_path_buf()
}

/// How long a test waits for something that should take milliseconds (or a short timeout).
pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(15);

/// Polls `check` until it returns `Some`, for effects that happen in the background
/// (an expiry, a consumer, a webhook) and give the test nothing to await.
pub async fn eventually<T, F, Fut>(what: &str, check: F) -> T
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "gave up waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

/// A unique, lower-case resource name, so tests never share a table, bus or queue.
pub fn unique_name(prefix: &str) -> String {
    format!("{prefix}-{}", ulid::Ulid::new().to_string().to_lowercase())
}

/// The local runner, serving on a random port over a fresh in-memory store.
#[derive(Clone)]
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// The built-in payment gateway, to act as a browser running Stripe.js would.
    pub gateway: Option<embedded::TestGateway>,
    /// The ticket files, as the runner keeps them.
    pub files: embedded::LocalFiles,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Vec::new()).await
}

/// The local runner with its event flow delivering to the product's consumers and to
/// `extra` subscriptions (retried quickly).
pub async fn spawn_app_with(extra: Vec<Subscription>) -> TestApp {
    spawn_app_configured(LocalConfig::for_tests(), extra).await
}

/// The local runner with `config`, e.g. a reservation timeout of seconds.
pub async fn spawn_app_configured(mut config: LocalConfig, extra: Vec<Subscription>) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let address = format!("http://{}", listener.local_addr().expect("bound address"));
    config.public_origin = domain::payouts::PublicOrigin(address.clone());
    let store = config.open_store().expect("in-memory store");
    let functions = Functions::new(store.clone(), &config).expect("the local functions start");
    let gateway = functions.test_gateway().cloned();
    let files = functions.files().clone();
    let retry = Retry { attempts: 5, first_delay: std::time::Duration::from_millis(5) };
    let mut subscriptions = local::subscriptions(&functions);
    subscriptions.extend(extra);
    local::start_event_flow(&functions, subscriptions, retry);
    tokio::spawn(local::serve(listener, functions));
    TestApp { address, client: reqwest::Client::new(), gateway, files }
}

/// Stripe's event of `kind` about `object`, as its webhook sends it.
pub fn stripe_event(id: &str, kind: &str, created: i64, object: Value) -> String {
    json!({ "id": id, "object": "event", "type": kind, "created": created, "livemode": false,
            "pending_webhooks": 1, "data": { "object": object } })
    .to_string()
}

/// Stripe's `charge.refunded` for the 45.00 charge of `intent`, `amount_refunded` of it back.
pub fn charge_refunded(id: &str, intent: &str, amount_refunded: i64) -> String {
    let object = json!({ "id": "ch_1", "object": "charge", "payment_intent": intent, "amount": 4500,
        "amount_refunded": amount_refunded, "refunded": amount_refunded == 4500,
        "refunds": { "data": [{ "id": format!("re_{id}") }] } });
    stripe_event(id, "charge.refunded", chrono::Utc::now().timestamp(), object)
}

/// A small, well-formed one-page PDF.
pub const SAMPLE_PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n\
3 0 obj<</Type/Page/MediaBox[0 0 200 100]/Parent 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The `session` cookie this response sets, as a `Cookie` header value.
    pub fn session_cookie(&self) -> Option<String> {
        self.set_cookie().map(|cookie| cookie.split(';').next().unwrap_or_default().to_owned())
    }

    /// The whole `Set-Cookie` header for the session.
    pub fn set_cookie(&self) -> Option<&str> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find(|value| value.starts_with("session="))
    }

    /// The `message` of each error in the body.
    pub fn messages(&self) -> Vec<&str> {
        self.errors().iter().filter_map(|error| error["message"].as_str()).collect()
    }

    /// The `field` of each error in the body (`None` for an error without one).
    pub fn fields(&self) -> Vec<Option<&str>> {
        self.errors().iter().map(|error| error["field"].as_str()).collect()
    }

    fn errors(&self) -> &[Value] {
        self.body["errors"].as_array().map(Vec::as_slice).unwrap_or_default()
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("the app answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a body");
        let body =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        Reply { status, headers, body }
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.send(self.client.post(self.url(path)).json(body)).await
    }

    pub async fn post_raw(&self, path: &str, body: &'static str) -> Reply {
        self.send(self.client.post(self.url(path)).header("content-type", "application/json").body(body)).await
    }

    pub async fn signup(&self, email: &str, password: &str) -> Reply {
        self.post_json("/api/users/signup", &json!({ "email": email, "password": password })).await
    }

    pub async fn signin(&self, email: &str, password: &str) -> Reply {
        self.post_json("/api/users/signin", &json!({ "email": email, "password": password })).await
    }

    /// Signs up `email` and returns its session as a `Cookie` header value.
    pub async fn session(&self, email: &str) -> String {
        let reply = self.signup(email, "correct horse battery").await;
        assert_eq!(reply.status, 201, "signing up {email}: {}", reply.body);
        reply.session_cookie().expect("a session cookie")
    }

    /// A request with the session `cookie`.
    pub async fn with_session(&self, method: reqwest::Method, path: &str, cookie: &str, body: Option<&Value>) -> Reply {
        let request = self.client.request(method, self.url(path)).header(COOKIE, cookie);
        self.send(match body {
            Some(body) => request.json(body),
            None => request,
        })
        .await
    }

    /// Asks to upload `bytes` as `content_type` for `ticket` (as its seller, `cookie`), then
    /// PUTs them to the upload URL with the headers it came with, as a browser does: the
    /// request's reply, and the PUT's status when there was an URL.
    pub async fn upload_file(
        &self,
        cookie: &str,
        ticket: &str,
        name: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> (Reply, Option<u16>) {
        let declared = json!({ "fileName": name, "contentType": content_type, "size": bytes.len() });
        let reply = self
            .with_session(reqwest::Method::POST, &format!("/api/tickets/{ticket}/file"), cookie, Some(&declared))
            .await;
        let Some(url) = reply.body["url"].as_str() else { return (reply, None) };
        let mut put = self.client.put(url).body(bytes.to_vec());
        for (name, value) in reply.body["headers"].as_object().into_iter().flatten() {
            if name != "content-length" {
                put = put.header(name, value.as_str().unwrap_or_default());
            }
        }
        let status = put.send().await.expect("the storage answers").status().as_u16();
        (reply, Some(status))
    }

    /// Attaches [`SAMPLE_PDF`] to `ticket`, as its seller.
    pub async fn attach_pdf(&self, cookie: &str, ticket: &str) {
        let (reply, put) = self.upload_file(cookie, ticket, "ticket.pdf", "application/pdf", SAMPLE_PDF).await;
        assert_eq!((reply.status, put), (201, Some(200)), "attaching a file to {ticket}: {}", reply.body);
    }

    /// Sends Stripe's `event` to the payments webhook, signed with the runner's secret.
    pub async fn deliver_signed(&self, event: &str) -> Reply {
        let now = chrono::Utc::now().timestamp();
        let secret = domain::config::Secret::new(local::LOCAL_WEBHOOK_SECRET);
        self.deliver(event, Some(stripe_adapter::webhook::sign(event.as_bytes(), &secret, now))).await
    }

    /// Sends `event` to the payments webhook as Stripe does, with `signature` if any.
    pub async fn deliver(&self, event: &str, signature: Option<String>) -> Reply {
        let request = self
            .client
            .post(self.url("/api/payments/webhook"))
            .header("content-type", "application/json; charset=utf-8")
            .body(event.to_owned());
        self.send(match signature {
            Some(signature) => request.header("stripe-signature", signature),
            None => request,
        })
        .await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.client.get(self.url(path))).await
    }

    /// `POST /api/tickets` as the holder of `cookie`.
    pub async fn create_ticket(&self, cookie: &str, ticket: &Value) -> Reply {
        self.with_session(reqwest::Method::POST, "/api/tickets", cookie, Some(ticket)).await
    }

    /// `GET /api/users/currentuser` carrying `cookie` (a `Cookie` header value), if any.
    pub async fn current_user(&self, cookie: Option<&str>) -> Reply {
        let request = self.client.get(self.url("/api/users/currentuser"));
        self.send(match cookie {
            Some(cookie) => request.header(COOKIE, cookie),
            None => request,
        })
        .await
    }

    /// `GET /api/users/currentuser` with `Authorization: Bearer {token}`.
    pub async fn current_user_bearer(&self, token: &str) -> Reply {
        self.send(self.client.get(self.url("/api/users/currentuser")).bearer_auth(token)).await
    }
}

/// The moto server `scripts/test` started.
pub mod moto {
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
    use domain::ports::Stores;

    use super::DynamoOutboxProbe;

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

    /// A new bucket of its own (the client and its name), and the ticket files in it.
    pub async fn files() -> (aws_sdk_s3::Client, String, aws_adapters::S3Files) {
        let client = aws().await.s3();
        let bucket = super::unique_name("files").to_lowercase();
        client.create_bucket().bucket(&bucket).send().await.expect("moto creates the bucket");
        let files = aws_adapters::S3Files::new(client.clone(), &aws_adapters::FilesBucket(bucket.clone()));
        (client, bucket, files)
    }

    fn key(name: &str, key_type: KeyType) -> KeySchemaElement {
        KeySchemaElement::builder().attribute_name(name).key_type(key_type).build().expect("complete key")
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
                    .projection(Projection::builder().projection_type(ProjectionType::All).build())
                    .build()
                    .expect("complete index"),
            );
        }
        request.send().await.expect("moto creates the table");
        name
    }

    /// A DynamoDB user store over a fresh table, keyed as in `template.yaml`.
    pub async fn user_store() -> DynamoUsers {
        let client = dynamodb().await;
        let table = create_table(&client, "users", DynamoUsers::KEY, None, &[]).await;
        DynamoUsers::new(client, &UsersTable(table))
    }

    /// The DynamoDB stores of a payments function over fresh tickets, orders, payments and
    /// outbox tables, and a probe of the outbox.
    pub type AllStores = Stores<DynamoTickets, DynamoOrders, DynamoPayments, DynamoChanges, DynamoPayouts>;

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
        let stores = Stores {
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
        let table = create_table(
            &client,
            "notifications",
            DynamoNotifications::PARTITION,
            Some(DynamoNotifications::SORT),
            &[],
        )
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
}

/// The embedded store's outbox, read as the local relay reads it.
pub struct EmbeddedOutbox(pub embedded::EmbeddedStore);

impl OutboxProbe for EmbeddedOutbox {
    async fn events(&self) -> Vec<domain::events::Event> {
        self.0.outbox_pending(usize::MAX).await.expect("the embedded outbox reads")
    }
}

/// The DynamoDB outbox table, read by a scan.
pub struct DynamoOutboxProbe {
    pub client: aws_sdk_dynamodb::Client,
    pub table: String,
}

impl OutboxProbe for DynamoOutboxProbe {
    async fn events(&self) -> Vec<domain::events::Event> {
        let items = self.client.scan().table_name(&self.table).send().await.expect("scan").items.unwrap_or_default();
        let mut events: Vec<domain::events::Event> = items
            .into_iter()
            .map(aws_adapters::Outbox::event_from_image)
            .collect::<Result<_, _>>()
            .expect("outbox records decode");
        events.sort_by(|a, b| a.id.cmp(&b.id));
        events
    }
}

/// The localstripe server `scripts/test` started.
pub mod localstripe {
    use domain::config::Secret;
    use stripe_adapter::{StripeGateway, StripeKey};

    pub fn endpoint() -> String {
        std::env::var("LOCALSTRIPE_ENDPOINT")
            .expect("LOCALSTRIPE_ENDPOINT is not set: run the suite with scripts/test, which starts localstripe")
    }

    /// The Stripe adapter, pointed at localstripe.
    pub fn gateway() -> StripeGateway {
        StripeGateway::new(&key()).expect("a Stripe client")
    }

    /// The key and base URL that reach localstripe.
    pub fn key() -> StripeKey {
        StripeKey { secret_key: Secret::new("sk_test_localstripe"), api_base: Some(format!("{}/", endpoint())) }
    }
}
