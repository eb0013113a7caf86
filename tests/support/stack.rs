//! `template.yaml` as CloudFormation deploys it (the SAM transform applied by
//! `scripts/sam_transform.py`), and stacks of it on moto: the tables, queues, bus and
//! schedule group a function names, created from their definitions in the template,
//! and each function's environment as the template gives it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::recorder::{ACCOUNT, REGION};
use crate::repo_root;

/// The transformed template, made once per test process.
pub fn deployed_template() -> &'static Value {
    static TEMPLATE: OnceLock<Value> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let python = repo_root().join(".venv/bin/python");
        let output = std::process::Command::new(&python)
            .arg(repo_root().join("scripts/sam_transform.py"))
            .arg(repo_root().join("template.yaml"))
            .output()
            .unwrap_or_else(|e| panic!("{}: {e} (scripts/test installs it)", python.display()));
        assert!(output.status.success(), "the SAM transform failed: {}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice(&output.stdout).expect("the transform prints JSON")
    })
}

/// The template's resources of `kind`, by logical id.
pub fn resources_of_type<'a>(template: &'a Value, kind: &str) -> Vec<(&'a str, &'a Value)> {
    template["Resources"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, resource)| resource["Type"] == kind)
        .map(|(id, resource)| (id.as_str(), resource))
        .collect()
}

/// `users-signup` for `UsersSignupFunction`.
pub fn binary_of(logical_id: &str) -> String {
    let base = logical_id.strip_suffix("Function").unwrap_or(logical_id);
    let mut name = String::new();
    for (i, c) in base.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            name.push('-');
        }
        name.push(c.to_ascii_lowercase());
    }
    name
}

/// `UsersSignupFunction` for `users-signup`.
pub fn logical_id_of(binary: &str) -> String {
    binary.split('-').map(|word| word[..1].to_uppercase() + &word[1..]).collect::<String>() + "Function"
}

/// The resource ids `value` refers to (`Ref`, `Fn::GetAtt`, `${...}` in `Fn::Sub`).
pub fn references(value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("Ref", Value::String(id)) => {
                        found.insert(id.clone());
                    }
                    ("Fn::GetAtt", Value::Array(parts)) => {
                        found.extend(parts.first().and_then(Value::as_str).map(str::to_owned));
                    }
                    ("Fn::GetAtt", Value::String(path)) => {
                        found.extend(path.split('.').next().map(str::to_owned));
                    }
                    ("Fn::Sub", sub) => {
                        let (text, vars) = match sub {
                            Value::Array(parts) => (parts[0].as_str().unwrap_or_default(), parts.get(1)),
                            other => (other.as_str().unwrap_or_default(), None),
                        };
                        for part in text.split("${").skip(1) {
                            let name = part.split('}').next().unwrap_or_default();
                            found.insert(name.split('.').next().unwrap_or_default().to_owned());
                        }
                        if let Some(vars) = vars {
                            references(vars, found);
                        }
                    }
                    _ => references(inner, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| references(item, found)),
        _ => {}
    }
}

/// A physical resource of a stack.
#[derive(Debug, Clone, Default)]
struct Physical {
    reference: String,
    attributes: BTreeMap<String, String>,
}

/// One deployment of the template on moto, its names made unique by a suffix.
pub struct Stack {
    template: &'static Value,
    suffix: String,
    resources: BTreeMap<String, Physical>,
    parameters: BTreeMap<String, String>,
    moto: String,
    client: reqwest::Client,
}

impl Stack {
    /// A stack where nothing is created yet.
    pub fn new(moto: &str) -> Self {
        let template = deployed_template();
        let suffix = ulid::Ulid::new().to_string()[16..].to_lowercase();
        let parameters = template["Parameters"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, spec)| {
                let default = match &spec["Default"] {
                    Value::String(text) => text.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                (name.clone(), default)
            })
            .collect();
        Self {
            template,
            suffix,
            resources: BTreeMap::new(),
            parameters,
            moto: moto.trim_end_matches('/').to_owned(),
            client: reqwest::Client::new(),
        }
    }

    pub fn name(&self) -> String {
        format!("ticketing-{}", self.suffix)
    }

    fn resource(&self, id: &str) -> &'static Value {
        let resource = &self.template["Resources"][id];
        assert!(!resource.is_null(), "{id} is not a resource of the template");
        resource
    }

    /// Creates on moto every table, queue, bus and schedule group among `ids` (and what
    /// their definitions name), as the template defines them.
    pub async fn create(&mut self, ids: &BTreeSet<String>) {
        for id in ids {
            if self.resources.contains_key(id) || self.template["Resources"][id].is_null() {
                continue;
            }
            let resource = self.resource(id);
            let properties = &resource["Properties"];
            let physical = match resource["Type"].as_str().unwrap_or_default() {
                "AWS::DynamoDB::Table" => self.create_table(id, properties).await,
                "AWS::SQS::Queue" => self.create_queue(id, properties).await,
                "AWS::Events::EventBus" => {
                    let name = self.evaluate(&properties["Name"]).unwrap_or_else(|| self.generated(id));
                    self.call("events", "AWSEvents.CreateEventBus", json!({ "Name": name })).await;
                    let arn = format!("arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{name}");
                    Physical {
                        reference: name.clone(),
                        attributes: BTreeMap::from([("Name".to_owned(), name), ("Arn".to_owned(), arn)]),
                    }
                }
                "AWS::Scheduler::ScheduleGroup" => {
                    let name = self.generated(id);
                    self.rest("scheduler", reqwest::Method::POST, &format!("/schedule-groups/{name}"), json!({})).await;
                    Physical { reference: name, attributes: BTreeMap::new() }
                }
                "AWS::SES::EmailIdentity" => {
                    // Verified at once by moto, as a domain with its DNS records published.
                    let identity = self.evaluate(&properties["EmailIdentity"]).expect("an identity");
                    let body = json!({ "EmailIdentity": identity });
                    self.rest("ses", reqwest::Method::POST, "/v2/email/identities", body).await;
                    Physical { reference: identity, attributes: BTreeMap::new() }
                }
                "AWS::S3::Bucket" => {
                    let name = self.generated(id);
                    let request = self.client.put(format!("{}/{name}", self.moto));
                    let response = self.signed(request, "s3").send().await.expect("moto answers");
                    assert!(response.status().is_success(), "creating bucket {name}: {}", response.status());
                    let arn = format!("arn:aws:s3:::{name}");
                    Physical { reference: name, attributes: BTreeMap::from([("Arn".to_owned(), arn)]) }
                }
                _ => continue,
            };
            self.resources.insert(id.clone(), physical);
        }
    }

    /// Creates what `function`'s environment names.
    pub async fn create_for(&mut self, function: &str) {
        let mut ids = BTreeSet::new();
        references(&self.resource(function)["Properties"]["Environment"], &mut ids);
        self.create(&ids).await;
    }

    fn generated(&self, id: &str) -> String {
        format!("{}-{}", id.to_lowercase(), self.suffix)
    }

    async fn create_table(&self, id: &str, properties: &Value) -> Physical {
        let name = self.generated(id);
        let mut request = json!({
            "TableName": name,
            "BillingMode": properties["BillingMode"],
            "AttributeDefinitions": properties["AttributeDefinitions"],
            "KeySchema": properties["KeySchema"],
        });
        if !properties["GlobalSecondaryIndexes"].is_null() {
            request["GlobalSecondaryIndexes"] = properties["GlobalSecondaryIndexes"].clone();
        }
        if let Some(view) = properties["StreamSpecification"]["StreamViewType"].as_str() {
            request["StreamSpecification"] = json!({ "StreamEnabled": true, "StreamViewType": view });
        }
        let created = self.call("dynamodb", "DynamoDB_20120810.CreateTable", request).await;
        if let Some(attribute) = properties["TimeToLiveSpecification"]["AttributeName"].as_str() {
            let ttl = json!({ "TableName": name, "TimeToLiveSpecification": { "AttributeName": attribute, "Enabled": true } });
            self.call("dynamodb", "DynamoDB_20120810.UpdateTimeToLive", ttl).await;
        }
        let description = &created["TableDescription"];
        let mut attributes = BTreeMap::from([(
            "Arn".to_owned(),
            description["TableArn"].as_str().map(str::to_owned).unwrap_or_else(|| table_arn(&name)),
        )]);
        if let Some(stream) = description["LatestStreamArn"].as_str() {
            attributes.insert("StreamArn".to_owned(), stream.to_owned());
        }
        Physical { reference: name, attributes }
    }

    async fn create_queue(&self, id: &str, properties: &Value) -> Physical {
        let fifo = properties["FifoQueue"].as_bool() == Some(true);
        let name = format!("{}{}", self.generated(id), if fifo { ".fifo" } else { "" });
        let mut attributes = serde_json::Map::new();
        for (property, attribute) in [
            ("FifoQueue", "FifoQueue"),
            ("ContentBasedDeduplication", "ContentBasedDeduplication"),
            ("VisibilityTimeout", "VisibilityTimeout"),
            ("MessageRetentionPeriod", "MessageRetentionPeriod"),
        ] {
            match &properties[property] {
                Value::Null => {}
                Value::String(text) => {
                    attributes.insert(attribute.to_owned(), Value::String(text.clone()));
                }
                other => {
                    attributes.insert(attribute.to_owned(), Value::String(other.to_string()));
                }
            }
        }
        let created =
            self.call("sqs", "AmazonSQS.CreateQueue", json!({ "QueueName": name, "Attributes": attributes })).await;
        let url = created["QueueUrl"].as_str().expect("moto gives the queue's URL").to_owned();
        Physical {
            reference: url,
            attributes: BTreeMap::from([
                ("Arn".to_owned(), format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{name}")),
                ("QueueName".to_owned(), name),
            ]),
        }
    }

    fn signed(&self, request: reqwest::RequestBuilder, service: &str) -> reqwest::RequestBuilder {
        // moto routes by the credential scope of the signature; it does not check it.
        request.header(
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential=testing/20260101/{REGION}/{service}/aws4_request, SignedHeaders=host, Signature=0"
            ),
        )
    }

    async fn call(&self, service: &str, target: &str, body: Value) -> Value {
        let content_type =
            if service == "events" { "application/x-amz-json-1.1" } else { "application/x-amz-json-1.0" };
        let request = self
            .client
            .post(format!("{}/", self.moto))
            .header("x-amz-target", target)
            .header("content-type", content_type)
            .body(body.to_string());
        let response = self.signed(request, service).send().await.expect("moto answers");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert!(status.is_success(), "{target}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    async fn rest(&self, service: &str, method: reqwest::Method, path: &str, body: Value) -> Value {
        let request = self
            .client
            .request(method, format!("{}{path}", self.moto))
            .header("content-type", "application/json")
            .body(body.to_string());
        let response = self.signed(request, service).send().await.expect("moto answers");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// The physical name of a created resource (its `Ref`).
    pub fn physical(&self, id: &str) -> Option<&str> {
        self.resources.get(id).map(|physical| physical.reference.as_str())
    }

    fn reference(&self, name: &str) -> Option<String> {
        match name {
            "AWS::Region" => return Some(REGION.to_owned()),
            "AWS::AccountId" => return Some(ACCOUNT.to_owned()),
            "AWS::Partition" => return Some("aws".to_owned()),
            "AWS::URLSuffix" => return Some("amazonaws.com".to_owned()),
            "AWS::StackName" => return Some(self.name()),
            _ => {}
        }
        if let Some(value) = self.parameters.get(name) {
            return Some(value.clone());
        }
        if let Some(physical) = self.resources.get(name) {
            return Some(physical.reference.clone());
        }
        match self.template["Resources"][name]["Type"].as_str()? {
            "AWS::SQS::Queue" => Some(format!("{}/{ACCOUNT}/{}", self.moto, self.generated(name))),
            _ => Some(self.generated(name)),
        }
    }

    fn attribute(&self, id: &str, attribute: &str) -> Option<String> {
        if let Some(value) = self.resources.get(id).and_then(|physical| physical.attributes.get(attribute)) {
            return Some(value.clone());
        }
        let name = self.generated(id);
        let kind = self.template["Resources"][id]["Type"].as_str()?;
        Some(match (kind, attribute) {
            ("AWS::DynamoDB::Table", "Arn") => table_arn(&name),
            ("AWS::DynamoDB::Table", "StreamArn") => format!("{}/stream/*", table_arn(&name)),
            ("AWS::SQS::Queue", "Arn") => format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"),
            ("AWS::SQS::Queue", "QueueName") => name,
            ("AWS::Lambda::Function", "Arn") => format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"),
            ("AWS::IAM::Role", "Arn") => format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
            ("AWS::S3::Bucket", "Arn") => format!("arn:aws:s3:::{name}"),
            // Not created on moto (nothing calls KMS: Lambda decrypts a function's environment).
            ("AWS::KMS::Key", "Arn") => format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{name}"),
            ("AWS::Scheduler::ScheduleGroup", "Arn") => {
                format!("arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule-group/{name}")
            }
            _ => return None,
        })
    }

    /// `value` with its intrinsic functions evaluated in this stack; `None` for what it
    /// cannot evaluate.
    pub fn evaluate(&self, value: &Value) -> Option<String> {
        match value {
            Value::String(text) => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            Value::Bool(flag) => Some(flag.to_string()),
            Value::Object(map) if map.len() == 1 => {
                let (function, argument) = map.iter().next()?;
                match function.as_str() {
                    "Ref" => self.reference(argument.as_str()?),
                    "Fn::GetAtt" => {
                        let (id, attribute) = match argument {
                            Value::Array(parts) => (parts.first()?.as_str()?, parts.get(1)?.as_str()?),
                            Value::String(path) => path.split_once('.')?,
                            _ => return None,
                        };
                        self.attribute(id, attribute)
                    }
                    "Fn::Sub" => {
                        let (text, vars) = match argument {
                            Value::Array(parts) => (parts.first()?.as_str()?, parts.get(1).and_then(Value::as_object)),
                            Value::String(text) => (text.as_str(), None),
                            _ => return None,
                        };
                        let mut out = String::new();
                        let mut rest = text;
                        while let Some(start) = rest.find("${") {
                            out.push_str(&rest[..start]);
                            let end = rest[start..].find('}')? + start;
                            let name = &rest[start + 2..end];
                            let value = match vars.and_then(|vars| vars.get(name)) {
                                Some(var) => self.evaluate(var)?,
                                None => match name.split_once('.') {
                                    Some((id, attribute)) => self.attribute(id, attribute)?,
                                    None => self.reference(name)?,
                                },
                            };
                            out.push_str(&value);
                            rest = &rest[end + 1..];
                        }
                        out.push_str(rest);
                        Some(out)
                    }
                    "Fn::Join" => {
                        let parts = argument.as_array()?;
                        let separator = parts.first()?.as_str()?;
                        let items: Option<Vec<String>> =
                            parts.get(1)?.as_array()?.iter().map(|item| self.evaluate(item)).collect();
                        Some(items?.join(separator))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The environment `template.yaml` gives `function` in this stack: what names a
    /// resource, evaluated here; parameters and secrets, from its section of
    /// `events/sam-local-env.json` (what `sam local invoke` gives it).
    pub fn environment(&self, function: &str) -> Vec<(String, String)> {
        let local = sam_local_env();
        let variables = &self.resource(function)["Properties"]["Environment"]["Variables"];
        let mut env = Vec::new();
        for (name, value) in variables.as_object().into_iter().flatten() {
            let mut ids = BTreeSet::new();
            references(value, &mut ids);
            let names_a_resource = ids.iter().any(|id| !self.template["Resources"][id].is_null());
            let evaluated = if names_a_resource {
                self.evaluate(value).unwrap_or_else(|| panic!("{function} {name}: cannot evaluate {value}"))
            } else {
                local[function][name]
                    .as_str()
                    .unwrap_or_else(|| panic!("{function} {name} in events/sam-local-env.json"))
                    .to_owned()
            };
            env.push((name.clone(), evaluated));
        }
        env
    }
}

fn table_arn(name: &str) -> String {
    format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}")
}

/// `events/sam-local-env.json`.
pub fn sam_local_env() -> Value {
    serde_json::from_str(&std::fs::read_to_string(repo_root().join("events/sam-local-env.json")).expect("readable"))
        .expect("JSON")
}
