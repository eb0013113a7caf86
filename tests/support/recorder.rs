//! A recording proxy in front of moto: a function pointed at it (`AWS_ENDPOINT_URL`) works
//! as against moto, and every AWS request it makes is kept as the IAM actions it needs and
//! the resources they act on, exactly as IAM authorizes them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use crate::write_units::{TableShape, table_units};

/// The account and region moto answers for.
pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";

/// One authorization a request needs: an IAM action on a resource ARN.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Call {
    /// `service:Action`, as in a policy.
    pub action: String,
    pub resource: String,
}

/// One request, by its API operation (`dynamodb:TransactWriteItems`), and what it needed.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub operation: String,
    pub calls: Vec<Call>,
    /// What DynamoDB bills it on demand: read request units (for query pages up to 4 KB)
    /// and write request units, the table's by each item's size.
    pub capacity: (f64, f64),
    /// The write request units DynamoDB bills for the global secondary indexes the request's
    /// items are projected into (`write_units`).
    pub index_writes: f64,
    /// The items a DynamoDB request put, each with its table's name (none if it failed).
    pub puts: Vec<(String, Value)>,
    /// The events a PutEvents call puts, the messages an SQS call sends or deletes.
    pub entries: usize,
    /// The items a DynamoDB `Query` or `Scan` read (its answer's `ScannedCount`).
    pub scanned: Option<u64>,
}

impl Recorded {
    /// A request of one entry that DynamoDB does not bill.
    fn single(operation: String, calls: Vec<Call>) -> Self {
        Self { operation, calls, capacity: (0.0, 0.0), index_writes: 0.0, puts: Vec::new(), entries: 1, scanned: None }
    }
}

#[derive(Clone)]
struct Proxy {
    upstream: String,
    client: reqwest::Client,
    recorded: Arc<Mutex<Vec<Recorded>>>,
    /// The tables' keys and indexes, described once each.
    tables: Arc<Mutex<HashMap<String, TableShape>>>,
    /// How long upstream took to answer, added up.
    waited: Arc<Mutex<Duration>>,
}

/// The proxy, listening on 127.0.0.1 until dropped.
pub struct Recorder {
    pub url: String,
    recorded: Arc<Mutex<Vec<Recorded>>>,
    waited: Arc<Mutex<Duration>>,
    server: tokio::task::JoinHandle<()>,
}

impl Recorder {
    pub async fn start(upstream: &str) -> Self {
        let (recorded, waited) = (Arc::new(Mutex::new(Vec::new())), Arc::new(Mutex::new(Duration::ZERO)));
        let proxy = Proxy {
            upstream: upstream.trim_end_matches('/').to_owned(),
            client: reqwest::Client::new(),
            recorded: recorded.clone(),
            tables: Arc::default(),
            waited: waited.clone(),
        };
        let app = Router::new().fallback(forward).with_state(proxy);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let url = format!("http://{}", listener.local_addr().expect("bound"));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, recorded, waited, server }
    }

    /// Every request so far, in order.
    pub fn take(&self) -> Vec<Recorded> {
        std::mem::take(&mut *self.recorded.lock().expect("not poisoned"))
    }

    /// How long upstream took to answer since the last call: from each request sent to its
    /// answer read.
    pub fn take_waited(&self) -> Duration {
        std::mem::take(&mut *self.waited.lock().expect("not poisoned"))
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn forward(State(proxy): State<Proxy>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, 16 << 20).await else {
        return status(StatusCode::PAYLOAD_TOO_LARGE);
    };
    let recorded = recognize(&parts.method, parts.uri.path(), parts.uri.query(), &parts.headers, &body);
    let url = format!("{}{}", proxy.upstream, parts.uri.path_and_query().map(|pq| pq.as_str()).unwrap_or("/"));
    let mut headers = parts.headers.clone();
    headers.remove(axum::http::header::HOST);
    let written = match &recorded {
        Some(recorded) if recorded.operation.starts_with("dynamodb:") => {
            let request = serde_json::from_slice(&body).unwrap_or(Value::Null);
            written_items(&proxy, &headers, &recorded.operation["dynamodb:".len()..], &request).await
        }
        _ => Vec::new(),
    };
    let started = Instant::now();
    let Ok(upstream) = proxy.client.request(parts.method, url).headers(headers.clone()).body(body).send().await else {
        return status(StatusCode::BAD_GATEWAY);
    };
    let succeeded = upstream.status().is_success();
    let mut response = Response::builder().status(upstream.status());
    for (name, value) in upstream.headers() {
        response = response.header(name, value);
    }
    let bytes = upstream.bytes().await.unwrap_or_default();
    *proxy.waited.lock().expect("not poisoned") += started.elapsed();
    if let Some(mut recorded) = recorded {
        if !succeeded {
            recorded.puts.clear();
        }
        if !written.is_empty() {
            let transaction = recorded.operation == "dynamodb:TransactWriteItems";
            let (mut table, mut indexes) = (0.0, 0.0);
            for item in &written {
                let after = if succeeded && !item.check_only {
                    proxy.image(&headers, &item.table, &item.key).await
                } else {
                    item.before.clone()
                };
                table += table_units(item.before.as_ref(), after.as_ref()) * if transaction { 2.0 } else { 1.0 };
                indexes += item.shape.index_units(item.before.as_ref(), after.as_ref());
            }
            recorded.capacity.1 = table;
            recorded.index_writes = indexes;
        }
        if matches!(recorded.operation.as_str(), "dynamodb:Query" | "dynamodb:Scan") {
            recorded.scanned =
                serde_json::from_slice::<Value>(&bytes).ok().and_then(|answer| answer["ScannedCount"].as_u64());
        }
        proxy.recorded.lock().expect("not poisoned").push(recorded);
    }
    response.body(Body::from(bytes)).unwrap_or_else(|_| status(StatusCode::BAD_GATEWAY))
}

/// An item a DynamoDB write request names, as it was before the request.
struct Written {
    table: String,
    shape: TableShape,
    key: Value,
    before: Option<Value>,
    /// A transaction's condition check: billed as a write, changes nothing.
    check_only: bool,
}

/// How a DynamoDB write request names an item.
#[derive(PartialEq)]
enum Write {
    Put,
    Update,
    Delete,
    ConditionCheck,
}

/// The items a DynamoDB write request names: each with its table's name, how it writes it and
/// the item (a put) or its key (anything else).
fn named_items<'a>(operation: &str, request: &'a Value) -> Vec<(String, Write, &'a Value)> {
    let table_of = |request: &Value| request["TableName"].as_str().unwrap_or_default().to_owned();
    match operation {
        "PutItem" => vec![(table_of(request), Write::Put, &request["Item"])],
        "UpdateItem" => vec![(table_of(request), Write::Update, &request["Key"])],
        "DeleteItem" => vec![(table_of(request), Write::Delete, &request["Key"])],
        "TransactWriteItems" => request["TransactItems"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| {
                let (kind, inner) = item.as_object()?.iter().next()?;
                let (write, item) = match kind.as_str() {
                    "Put" => (Write::Put, &inner["Item"]),
                    "Update" => (Write::Update, &inner["Key"]),
                    "Delete" => (Write::Delete, &inner["Key"]),
                    "ConditionCheck" => (Write::ConditionCheck, &inner["Key"]),
                    _ => return None,
                };
                Some((table_of(inner), write, item))
            })
            .collect(),
        "BatchWriteItem" => request["RequestItems"]
            .as_object()
            .into_iter()
            .flatten()
            .flat_map(|(table, writes)| {
                writes.as_array().into_iter().flatten().map(|write| {
                    if write["PutRequest"].is_object() {
                        (table.clone(), Write::Put, &write["PutRequest"]["Item"])
                    } else {
                        (table.clone(), Write::Delete, &write["DeleteRequest"]["Key"])
                    }
                })
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The items a DynamoDB write request names, each with its image before the request.
async fn written_items(proxy: &Proxy, headers: &HeaderMap, operation: &str, request: &Value) -> Vec<Written> {
    let mut written = Vec::new();
    for (table, write, item) in named_items(operation, request) {
        let Some(shape) = proxy.shape(headers, &table).await else { continue };
        let key = shape.key_of(item);
        let before = proxy.image(headers, &table, &key).await;
        written.push(Written { table, shape, key, before, check_only: write == Write::ConditionCheck });
    }
    written
}

impl Proxy {
    /// A DynamoDB request of the proxy's own, straight to moto (never recorded), signed as the
    /// request it looks around.
    async fn dynamodb(&self, headers: &HeaderMap, operation: &str, body: Value) -> Option<Value> {
        let mut headers = headers.clone();
        headers.insert("x-amz-target", format!("DynamoDB_20120810.{operation}").parse().ok()?);
        headers.remove(axum::http::header::CONTENT_LENGTH);
        let response = self
            .client
            .post(format!("{}/", self.upstream))
            .headers(headers)
            .body(body.to_string())
            .send()
            .await
            .ok()?;
        if !response.status().is_success() {
            return None;
        }
        response.json().await.ok()
    }

    async fn shape(&self, headers: &HeaderMap, table: &str) -> Option<TableShape> {
        if let Some(shape) = self.tables.lock().expect("not poisoned").get(table) {
            return Some(shape.clone());
        }
        let described = self.dynamodb(headers, "DescribeTable", json!({ "TableName": table })).await?;
        let shape = TableShape::from_description(&described["Table"]);
        self.tables.lock().expect("not poisoned").insert(table.to_owned(), shape.clone());
        Some(shape)
    }

    /// The item under `key`, strongly consistent; `None` if there is none.
    async fn image(&self, headers: &HeaderMap, table: &str, key: &Value) -> Option<Value> {
        let answer = self
            .dynamodb(headers, "GetItem", json!({ "TableName": table, "Key": key, "ConsistentRead": true }))
            .await?;
        answer.get("Item").cloned()
    }
}

fn status(code: StatusCode) -> Response {
    Response::builder().status(code).body(Body::empty()).expect("a response")
}

/// The service a request is signed for: SigV4's credential scope names it.
fn signed_service(headers: &HeaderMap) -> Option<String> {
    let authorization = headers.get("authorization")?.to_str().ok()?;
    let credential = authorization.split("Credential=").nth(1)?.split(',').next()?;
    credential.split('/').nth(3).map(str::to_owned)
}

fn arn(service: &str, resource: &str) -> String {
    format!("arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}")
}

fn call(action: &str, resource: String) -> Call {
    Call { action: action.to_owned(), resource }
}

fn table_arn(table: &str) -> String {
    if table.starts_with("arn:") { table.to_owned() } else { arn("dynamodb", &format!("table/{table}")) }
}

/// What IAM checks for one request: DynamoDB, EventBridge and SQS name the operation in
/// `X-Amz-Target`; EventBridge Scheduler and SES v2 are REST APIs.
pub fn recognize(
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<Recorded> {
    let service = signed_service(headers)?;
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let target = headers.get("x-amz-target").and_then(|value| value.to_str().ok());
    let operation = match (target, service.as_str()) {
        (Some(target), _) => target.rsplit('.').next()?.to_owned(),
        // S3 (path style): the method says the operation; HEAD is authorized as GetObject.
        (None, "s3") => {
            let (bucket, key) = path.trim_start_matches('/').split_once('/')?;
            let operation = match *method {
                Method::PUT => "PutObject",
                Method::DELETE => "DeleteObject",
                _ => "GetObject",
            };
            let calls = vec![call(&format!("s3:{operation}"), format!("arn:aws:s3:::{bucket}/{key}"))];
            let operation = format!("s3:{operation}");
            return Some(Recorded::single(operation, calls));
        }
        // SES v2 (REST): SendEmail is authorized against the identity of the sender's domain
        // and the configuration set it goes through.
        (None, "ses") if *method == Method::POST && path == "/v2/email/outbound-emails" => {
            let from = json["FromEmailAddress"].as_str().unwrap_or_default();
            let domain = from.rsplit('@').next().unwrap_or_default();
            let mut calls = vec![call("ses:SendEmail", arn("ses", &format!("identity/{domain}")))];
            if let Some(set) = json["ConfigurationSetName"].as_str() {
                calls.push(call("ses:SendEmail", arn("ses", &format!("configuration-set/{set}"))));
            }
            let operation = "ses:SendEmail".to_owned();
            return Some(Recorded::single(operation, calls));
        }
        (None, "scheduler") => match *method {
            Method::POST => "CreateSchedule",
            Method::PUT => "UpdateSchedule",
            Method::DELETE => "DeleteSchedule",
            _ if path.starts_with("/schedules/") => "GetSchedule",
            _ => "ListSchedules",
        }
        .to_owned(),
        (None, _) => return None,
    };
    let action = |name: &str| format!("{service}:{name}");
    let calls = match service.as_str() {
        "dynamodb" => dynamodb_calls(&operation, &json),
        "events" => {
            let buses: std::collections::BTreeSet<String> = json["Entries"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|entry| entry["EventBusName"].as_str().unwrap_or("default").to_owned())
                .collect();
            buses
                .into_iter()
                .map(|bus| {
                    let resource =
                        if bus.starts_with("arn:") { bus } else { arn("events", &format!("event-bus/{bus}")) };
                    call(&action(&operation), resource)
                })
                .collect()
        }
        "sqs" => {
            let queue = json["QueueUrl"].as_str().and_then(|url| url.rsplit('/').next()).unwrap_or_default();
            // IAM authorizes the batch operations as their single forms.
            let name = operation.strip_suffix("Batch").unwrap_or(&operation);
            vec![call(&action(name), arn("sqs", queue))]
        }
        "scheduler" => {
            let name = path.trim_start_matches("/schedules/");
            let group = json["GroupName"]
                .as_str()
                .map(str::to_owned)
                .or_else(|| query?.split('&').find_map(|pair| pair.strip_prefix("groupName=")).map(str::to_owned))
                .unwrap_or_else(|| "default".to_owned());
            let mut calls = vec![call(&action(&operation), arn("scheduler", &format!("schedule/{group}/{name}")))];
            // A schedule that runs its target with a role needs the right to pass that role.
            if let Some(role) = json["Target"]["RoleArn"].as_str() {
                calls.push(call("iam:PassRole", role.to_owned()));
            }
            calls
        }
        _ => vec![call(&action(&operation), "*".to_owned())],
    };
    let capacity = if service == "dynamodb" { capacity(&operation, &json) } else { (0.0, 0.0) };
    let entries = json["Entries"].as_array().map_or(1, Vec::len);
    let puts = if service == "dynamodb" { put_items(&operation, &json) } else { Vec::new() };
    Some(Recorded { operation: action(&operation), calls, capacity, index_writes: 0.0, puts, entries, scanned: None })
}

/// DynamoDB's on-demand request units for a request: a strongly consistent read of up to
/// 4 KB is 1 (eventually consistent, half), a write of up to 1 KB is 1, and in a transaction
/// every item counts twice. A write's units are counted again by each item's size once the
/// proxy has seen it before and after (`forward`).
fn capacity(operation: &str, json: &Value) -> (f64, f64) {
    let read = if json["ConsistentRead"].as_bool() == Some(true) { 1.0 } else { 0.5 };
    let items = |key: &str| json[key].as_array().map_or(0, Vec::len) as f64;
    match operation {
        "GetItem" | "Query" | "Scan" => (read, 0.0),
        "PutItem" | "UpdateItem" | "DeleteItem" => (0.0, 1.0),
        "TransactWriteItems" => (0.0, 2.0 * items("TransactItems")),
        "TransactGetItems" => (2.0 * items("TransactItems"), 0.0),
        "BatchWriteItem" => (
            0.0,
            json["RequestItems"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(_, r)| r.as_array().map_or(0, Vec::len))
                .sum::<usize>() as f64,
        ),
        "BatchGetItem" => {
            let keys = json["RequestItems"].as_object().into_iter().flatten();
            (keys.map(|(_, r)| r["Keys"].as_array().map_or(0, Vec::len)).sum::<usize>() as f64 * 0.5, 0.0)
        }
        _ => (0.0, 0.0),
    }
}

/// The items a DynamoDB write request puts, with their tables' names.
fn put_items(operation: &str, json: &Value) -> Vec<(String, Value)> {
    named_items(operation, json)
        .into_iter()
        .filter(|(_, write, _)| *write == Write::Put)
        .map(|(table, _, item)| (table, item.clone()))
        .collect()
}

fn dynamodb_calls(operation: &str, json: &Value) -> Vec<Call> {
    let on_table = |name: &str, request: &Value| {
        let table = table_arn(request["TableName"].as_str().unwrap_or_default());
        let resource = match request["IndexName"].as_str() {
            Some(index) => format!("{table}/index/{index}"),
            None => table,
        };
        call(&format!("dynamodb:{name}"), resource)
    };
    match operation {
        // A transaction is authorized item by item, as the single-item operations.
        "TransactWriteItems" | "TransactGetItems" => json["TransactItems"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| {
                let (kind, request) = item.as_object()?.iter().next()?;
                let name = match kind.as_str() {
                    "Put" => "PutItem",
                    "Update" => "UpdateItem",
                    "Delete" => "DeleteItem",
                    "ConditionCheck" => "ConditionCheckItem",
                    "Get" => "GetItem",
                    _ => return None,
                };
                Some(on_table(name, request))
            })
            .collect(),
        "BatchWriteItem" | "BatchGetItem" => json["RequestItems"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(table, _)| call(&format!("dynamodb:{operation}"), table_arn(table)))
            .collect(),
        _ => vec![on_table(operation, json)],
    }
}
