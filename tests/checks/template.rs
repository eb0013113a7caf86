//! `template.yaml` and the code agree: the same routes as the local runner, a function
//! for every crate under `functions/`, and tables keyed as the adapters expect.

use std::collections::{BTreeMap, BTreeSet};

use aws_adapters::{
    DynamoInbox, DynamoNotifications, DynamoOrders, DynamoPayments, DynamoPayouts, DynamoTickets, DynamoUsers, Outbox,
};
use domain::config::{COMMITTED_SECRETS, ConfigError, Env, FromEnv, LOCAL_RUN};
use local::{FALLBACK, ROUTES};
use serde_norway::Value;
use ticketing_tests::{repo_root, template};

/// The index `name` of the table `table` (a logical id).
fn index<'a>(template: &'a Value, table: &str, name: &str) -> &'a Value {
    let indexes = template["Resources"][table]["Properties"]["GlobalSecondaryIndexes"].as_sequence().unwrap();
    indexes.iter().find(|index| index["IndexName"].as_str() == Some(name)).unwrap_or_else(|| panic!("{table}: {name}"))
}

fn resources_of_type<'a>(template: &'a Value, kind: &str) -> Vec<(&'a str, &'a Value)> {
    template["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, resource)| resource["Type"].as_str() == Some(kind))
        .map(|(name, resource)| (name.as_str().unwrap(), resource))
        .collect()
}

fn binary(function: &Value) -> &str {
    function["Metadata"]["BuildProperties"]["Binary"].as_str().expect("a Binary build property")
}

/// `(function, method, path)` for every HttpApi event; `$default` for an event with neither.
fn template_routes(template: &Value) -> BTreeSet<(String, String, String)> {
    let mut routes = BTreeSet::new();
    for (_, function) in resources_of_type(template, "AWS::Serverless::Function") {
        let Some(events) = function["Properties"]["Events"].as_mapping() else { continue };
        for event in events.values().filter(|event| event["Type"].as_str() == Some("HttpApi")) {
            let properties = &event["Properties"];
            let method = properties["Method"].as_str().unwrap_or("ANY").to_uppercase();
            let path = properties["Path"].as_str().unwrap_or("$default").to_owned();
            routes.insert((binary(function).to_owned(), method, path));
        }
    }
    routes
}

#[test]
fn the_local_runner_mounts_exactly_the_routes_of_the_template() {
    let local: BTreeSet<_> = ROUTES
        .iter()
        .map(|route| (route.function.to_owned(), route.method.to_owned(), route.path.to_owned()))
        .chain([(FALLBACK.to_owned(), "ANY".to_owned(), "$default".to_owned())])
        .collect();
    assert_eq!(template_routes(&template()), local);
}

#[test]
fn every_function_crate_is_one_lambda_built_with_cargo_lambda() {
    let template = template();
    let globals = &template["Globals"]["Function"];
    assert_eq!(globals["Runtime"].as_str(), Some("provided.al2023"));
    assert_eq!(globals["Handler"].as_str(), Some("bootstrap"));
    // arm64 unless the deployment says otherwise (`Architecture`, for hosts without its std).
    let architecture = serde_norway::to_string(&globals["Architectures"][0]).unwrap();
    assert!(architecture.contains("Ref") && architecture.contains("Architecture"), "{architecture}");
    assert_eq!(template["Parameters"]["Architecture"]["Default"].as_str(), Some("arm64"));

    let functions = resources_of_type(&template, "AWS::Serverless::Function");
    for (name, function) in &functions {
        assert_eq!(function["Metadata"]["BuildMethod"].as_str(), Some("rust-cargolambda"), "{name}");
    }
    let binaries: BTreeSet<&str> = functions.iter().map(|(_, function)| binary(function)).collect();
    let crates: BTreeSet<String> = std::fs::read_dir(repo_root().join("functions"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(binaries, crates.iter().map(String::as_str).collect());
    assert_eq!(binaries.len(), functions.len(), "binary names are unique");
}

#[test]
fn the_users_table_is_keyed_as_the_adapter_expects_and_recoverable() {
    let template = template();
    let table = &template["Resources"]["UsersTable"]["Properties"];
    assert_eq!(table["KeySchema"][0]["AttributeName"].as_str(), Some(DynamoUsers::KEY));
    assert_eq!(table["KeySchema"][0]["KeyType"].as_str(), Some("HASH"));
    assert_eq!(table["KeySchema"].as_sequence().unwrap().len(), 1);
    assert_eq!(table["BillingMode"].as_str(), Some("PAY_PER_REQUEST"));
    assert_eq!(table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"].as_bool(), Some(true));
}

#[test]
fn only_sign_up_and_sign_in_get_the_session_signing_key_and_it_comes_from_secrets_manager() {
    let template = template();
    let (mut signers, mut verifiers) = (BTreeSet::new(), 0);
    for (name, function) in resources_of_type(&template, "AWS::Serverless::Function") {
        let variables = &function["Properties"]["Environment"]["Variables"];
        if let Some(value) = variables.get("SESSION_SIGNING_KEY") {
            let Value::Tagged(sub) = value else {
                panic!("{name}: SESSION_SIGNING_KEY is not a !Sub dynamic reference")
            };
            let reference = sub.value.as_str().unwrap_or_default();
            assert_eq!(
                reference, "{{resolve:secretsmanager:${SessionKeySecretName}:SecretString:${SessionKeyId}}}",
                "{name}: the key named by SessionKeyId, resolved by CloudFormation"
            );
            signers.insert(binary(function).to_owned());
            assert!(variables.get("SESSION_PUBLIC_KEYS").is_none(), "{name} signs and has no use for public keys");
        }
        if let Some(value) = variables.get("SESSION_PUBLIC_KEYS") {
            let Value::Tagged(reference) = value else { panic!("{name}: SESSION_PUBLIC_KEYS is not a !Ref") };
            assert_eq!(reference.value.as_str(), Some("SessionPublicKeys"), "{name}");
            verifiers += 1;
        }
    }
    assert_eq!(signers, BTreeSet::from(["users-signin".to_owned(), "users-signup".to_owned()]));
    assert!(verifiers >= 12, "every function behind a session verifies with public keys: {verifiers}");
    // A parameter may name a secret in Secrets Manager, never hold one.
    let holding_secrets: Vec<&str> = template["Parameters"]
        .as_mapping()
        .into_iter()
        .flatten()
        .filter_map(|(name, _)| name.as_str())
        .filter(|name| name.to_lowercase().contains("secret") && !name.ends_with("Name"))
        .collect();
    assert!(holding_secrets.is_empty(), "{holding_secrets:?}");
}

#[test]
fn the_tickets_table_has_the_indexes_the_listings_query() {
    let template = template();
    let table = &template["Resources"]["TicketsTable"]["Properties"];
    assert_eq!(table["KeySchema"][0]["AttributeName"].as_str(), Some(DynamoTickets::KEY));
    let indexes: BTreeSet<(&str, &str, &str)> = table["GlobalSecondaryIndexes"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|index| {
            let key = &index["KeySchema"];
            (
                index["IndexName"].as_str().unwrap(),
                key[0]["AttributeName"].as_str().unwrap(),
                key[1]["AttributeName"].as_str().unwrap(),
            )
        })
        .collect();
    let expected = BTreeSet::from([
        (DynamoTickets::AVAILABLE_INDEX, DynamoTickets::LISTING, DynamoTickets::KEY),
        (DynamoTickets::SELLER_INDEX, DynamoTickets::SELLER, DynamoTickets::KEY),
        (DynamoTickets::OPEN_INDEX, DynamoTickets::SELLER, DynamoTickets::LISTED_UNTIL),
        (DynamoTickets::LISTED_BY_DATE_INDEX, DynamoTickets::LISTING, DynamoTickets::LISTED_UNTIL),
    ]);
    assert_eq!(indexes, expected);
    let until = table["AttributeDefinitions"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|attribute| attribute["AttributeName"].as_str() == Some(DynamoTickets::LISTED_UNTIL));
    assert_eq!(until.and_then(|attribute| attribute["AttributeType"].as_str()), Some("N"), "a Unix time");
}

#[test]
fn the_outbox_table_streams_new_items_and_expires_old_ones() {
    let template = template();
    let table = &template["Resources"]["OutboxTable"]["Properties"];
    assert_eq!(table["KeySchema"][0]["AttributeName"].as_str(), Some(Outbox::KEY));
    assert_eq!(table["StreamSpecification"]["StreamViewType"].as_str(), Some("NEW_IMAGE"));
    assert_eq!(table["TimeToLiveSpecification"]["AttributeName"].as_str(), Some("expires_at"));
}

#[test]
fn the_relay_reads_only_inserts_of_the_outbox_stream_and_keeps_what_it_cannot_publish() {
    let template = template();
    let relay = resources_of_type(&template, "AWS::Serverless::Function")
        .into_iter()
        .find(|(_, function)| binary(function) == "outbox-relay")
        .expect("an outbox-relay function")
        .1;
    let source = &relay["Properties"]["Events"]["Outbox"]["Properties"];
    assert_eq!(relay["Properties"]["Events"]["Outbox"]["Type"].as_str(), Some("DynamoDB"));
    assert_eq!(source["FunctionResponseTypes"][0].as_str(), Some("ReportBatchItemFailures"));
    assert_eq!(source["FilterCriteria"]["Filters"][0]["Pattern"].as_str(), Some(r#"{"eventName": ["INSERT"]}"#));
    assert_eq!(source["DestinationConfig"]["OnFailure"]["Type"].as_str(), Some("SQS"));
    // Retried until the stream drops the records (24 hours), never given up after a count.
    assert_eq!(
        (source["MaximumRetryAttempts"].as_i64(), source["MaximumRecordAgeInSeconds"].as_i64()),
        (Some(-1), Some(-1))
    );
    let Value::Tagged(stream) = &source["Stream"] else { panic!("Stream is a !GetAtt") };
    assert_eq!(stream.value.as_str(), Some("OutboxTable.StreamArn"));
}

#[test]
fn the_inbox_table_is_keyed_as_the_adapter_expects() {
    let template = template();
    let table = &template["Resources"]["InboxTable"]["Properties"];
    assert_eq!(table["KeySchema"][0]["AttributeName"].as_str(), Some(DynamoInbox::KEY));
    assert_eq!(table["TimeToLiveSpecification"]["AttributeName"].as_str(), Some("expires_at"));
}

/// The event types a rule's pattern lets through to its target.
fn rule_types(template: &Value, rule: &str) -> BTreeSet<String> {
    let pattern = &template["Resources"][rule]["Properties"]["EventPattern"];
    pattern["detail-type"].as_sequence().unwrap().iter().map(|t| t.as_str().unwrap().to_owned()).collect()
}

/// Whether `properties` (a rule's, or a function's EventBridge rule event's) put the rule on the
/// stack's own bus (not the default bus, where AWS services' events are).
fn on_the_stacks_bus(properties: &Value) -> bool {
    matches!(&properties["EventBusName"], Value::Tagged(tagged) if tagged.value.as_str() == Some("EventBus"))
}

/// The relay publishes exactly the event types some rule on the stack's bus matches: a type a
/// rule names but the relay skipped would never reach its consumer, and one no rule names
/// would cost a `PutEvents` entry and reach nobody.
#[test]
fn the_relay_publishes_exactly_the_types_the_templates_rules_match() {
    let template = template();
    let mut matched = BTreeSet::new();
    for (id, rule) in resources_of_type(&template, "AWS::Events::Rule") {
        if on_the_stacks_bus(&rule["Properties"]) {
            matched.extend(rule_types(&template, id));
        }
    }
    for (_, function) in resources_of_type(&template, "AWS::Serverless::Function") {
        for event in function["Properties"]["Events"].as_mapping().into_iter().flat_map(|events| events.values()) {
            if event["Type"].as_str() == Some("EventBridgeRule") && on_the_stacks_bus(&event["Properties"]) {
                let types = event["Properties"]["Pattern"]["detail-type"].as_sequence().unwrap();
                matched.extend(types.iter().map(|kind| kind.as_str().unwrap().to_owned()));
            }
        }
    }
    let published: BTreeSet<String> = domain::events::EventType::ALL
        .into_iter()
        .filter(|kind| domain::relay::subscribed(*kind))
        .map(|kind| kind.as_str().to_owned())
        .collect();
    assert_eq!(published, matched);
    assert!(published.len() < domain::events::EventType::ALL.len(), "some types are for the outbox alone");
}

#[test]
fn each_consumer_gets_exactly_its_event_types_through_its_own_queue_with_a_dead_letter_queue() {
    let template = template();
    let consumers = [
        ("Expiration", "expiration-schedule", domain::expiration::CONSUMES.to_vec()),
        ("Notifications", "notifications-consumer", domain::notifications::CONSUMES.to_vec()),
        ("Payouts", "payouts-schedule", domain::payouts::CONSUMES.to_vec()),
    ];
    for (name, binary_name, types) in consumers {
        let expected: BTreeSet<String> = types.iter().map(|kind| kind.as_str().to_owned()).collect();
        assert_eq!(rule_types(&template, &format!("{name}Rule")), expected, "{name}");
        let sources: BTreeSet<&str> =
            template["Resources"][format!("{name}Rule").as_str()]["Properties"]["EventPattern"]["source"]
                .as_sequence()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap())
                .collect();
        assert_eq!(sources, types.iter().map(|kind| kind.source()).collect(), "{name}");
        let queue = &template["Resources"][format!("{name}Queue").as_str()]["Properties"];
        assert_eq!(queue["RedrivePolicy"]["maxReceiveCount"].as_u64(), Some(5), "{name} has a dead-letter queue");
        let function = resources_of_type(&template, "AWS::Serverless::Function")
            .into_iter()
            .find(|(_, function)| binary(function) == binary_name)
            .unwrap()
            .1;
        let source = &function["Properties"]["Events"]["Queue"]["Properties"];
        assert_eq!(source["FunctionResponseTypes"][0].as_str(), Some("ReportBatchItemFailures"), "{name}");
    }
}

#[test]
fn the_scheduler_role_may_invoke_only_the_expiry_and_release_functions() {
    let template = template();
    let statements =
        &template["Resources"]["SchedulerRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"];
    let invoke: Vec<&Value> = statements
        .as_sequence()
        .unwrap()
        .iter()
        .filter(|statement| statement["Action"].as_str() == Some("lambda:InvokeFunction"))
        .collect();
    let targets: Vec<&str> = invoke
        .iter()
        .map(|statement| {
            let Value::Tagged(resource) = &statement["Resource"] else { panic!("a !GetAtt") };
            resource.value.as_str().unwrap()
        })
        .collect();
    assert_eq!(targets, ["ExpirationFireFunction.Arn", "PayoutsReleaseFunction.Arn"]);
}

#[test]
fn the_orders_and_notifications_tables_are_keyed_as_their_adapters_expect() {
    let template = template();
    let orders = &template["Resources"]["OrdersTable"]["Properties"];
    assert_eq!(orders["KeySchema"][0]["AttributeName"].as_str(), Some(DynamoOrders::KEY));
    let index = &orders["GlobalSecondaryIndexes"][0];
    assert_eq!(index["IndexName"].as_str(), Some(DynamoOrders::BUYER_INDEX));
    assert_eq!(index["KeySchema"][0]["AttributeName"].as_str(), Some(DynamoOrders::BUYER));
    let notifications = &template["Resources"]["NotificationsTable"]["Properties"]["KeySchema"];
    assert_eq!(notifications[0]["AttributeName"].as_str(), Some(DynamoNotifications::PARTITION));
    assert_eq!(notifications[1]["AttributeName"].as_str(), Some(DynamoNotifications::SORT));
}

#[test]
fn stripe_keys_come_from_secrets_manager_and_the_payments_table_is_keyed_by_order() {
    let template = template();
    let mut readers = 0;
    for (name, function) in resources_of_type(&template, "AWS::Serverless::Function") {
        for variable in ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"] {
            let Some(value) = function["Properties"]["Environment"]["Variables"].get(variable) else { continue };
            let Value::Tagged(sub) = value else { panic!("{name}: {variable} is not a !Sub dynamic reference") };
            assert!(
                sub.value.as_str().unwrap_or_default().starts_with("{{resolve:secretsmanager:"),
                "{name}: {variable}"
            );
            readers += 1;
        }
    }
    // Which functions read them is checked per function with their configuration.
    assert!(readers >= 3, "payments-create and payments-webhook read the key, the webhook its secret");
    let payments = &template["Resources"]["PaymentsTable"]["Properties"];
    assert_eq!(payments["KeySchema"][0]["AttributeName"].as_str(), Some(DynamoPayments::KEY));
    let by_intent = index(&template, "PaymentsTable", DynamoPayments::INTENT_INDEX);
    assert_eq!(by_intent["KeySchema"][0]["AttributeName"].as_str(), Some(DynamoPayments::INTENT));
    // The adapter reads the payment by its key once the index named it.
    assert_eq!(by_intent["Projection"]["ProjectionType"].as_str(), Some("KEYS_ONLY"));
    let payouts = &template["Resources"]["PayoutsTable"]["Properties"];
    assert_eq!(payouts["KeySchema"][0]["AttributeName"].as_str(), Some(DynamoPayouts::KEY));
    let by_seller = &payouts["GlobalSecondaryIndexes"][0];
    assert_eq!(by_seller["IndexName"].as_str(), Some(DynamoPayouts::SELLER_INDEX));
    let keys: Vec<_> =
        by_seller["KeySchema"].as_sequence().unwrap().iter().map(|key| key["AttributeName"].as_str()).collect();
    assert_eq!(keys, [Some(DynamoPayouts::SELLER), Some(DynamoPayouts::KEY)]);
}

/// What a function's configuration reads: every variable, and those it requires.
fn reads<T: FromEnv>() -> (BTreeSet<&'static str>, BTreeSet<&'static str>) {
    // A plausible value for any variable: a number for durations, a key for keys, else a
    // long string.
    let (private, public) = edge::auth::generate_key_pair();
    let env = Env::from_fn(|name| {
        Some(match name {
            "SESSION_SIGNING_KEY" => private.clone(),
            "SESSION_PUBLIC_KEYS" => format!("current={public}"),
            "STRIPE_PUBLISHABLE_KEY" => "pk_test_template".to_owned(),
            "STRIPE_SECRET_KEY" => "rk_test_template".to_owned(),
            "PUBLIC_ORIGIN" => "https://tickets.example.com".to_owned(),
            "MAIL_RESERVATIONS" => "true".to_owned(),
            _ if name.ends_with("_SECONDS")
                || name == "RESERVATION_TIMEOUT"
                || name.starts_with("MAX_")
                || name.starts_with("SIGN_IN_FAILURES_")
                || name == "SIGN_UPS_PER_ADDRESS"
                || name.starts_with("PLATFORM_FEE_") =>
            {
                "60".to_owned()
            }
            _ => LONG_VALUE.to_owned(),
        })
    });
    env.load::<T>().unwrap_or_else(|e| panic!("{e}"));
    let reads = env.reads();
    (
        reads.iter().map(|read| read.name).collect(),
        reads.iter().filter(|read| read.required).map(|read| read.name).collect(),
    )
}

const LONG_VALUE: &str = "a-value-long-enough-for-any-variable-0123456789";

/// The logical ids of the template's resources.
fn resource_ids(template: &Value) -> BTreeSet<String> {
    template["Resources"].as_mapping().unwrap().keys().map(|key| key.as_str().unwrap().to_owned()).collect()
}

/// A function's policies: SAM's `Policies`, or those of the role it is given (and that
/// role's logical id).
fn policies_of<'a>(template: &'a Value, function: &'a Value) -> (&'a Value, Option<&'a str>) {
    match &function["Properties"]["Role"] {
        Value::Tagged(role) => {
            let role_id = role.value.as_str().and_then(|arn| arn.split('.').next()).unwrap_or_default();
            (&template["Resources"][role_id]["Properties"]["Policies"], Some(role_id))
        }
        _ => (&function["Properties"]["Policies"], None),
    }
}

/// Loads a function's configuration from the variables `lookup` gives.
type Load = fn(&dyn Fn(&str) -> Option<String>) -> Result<(), ConfigError>;

fn load<T: FromEnv>(lookup: &dyn Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
    Env::from_fn(lookup).load::<T>().map(|_| ())
}

/// Each function crate's configuration, by binary name: what it reads and requires, and its
/// loader.
macro_rules! configurations {
    ($($function:ident),* $(,)?) => {
        BTreeMap::from([$((
            stringify!($function).replace('_', "-"),
            (reads::<$function::Config>(), load::<$function::Config> as Load),
        )),*])
    };
}

type Reads = (BTreeSet<&'static str>, BTreeSet<&'static str>);

fn configurations() -> BTreeMap<String, (Reads, Load)> {
    configurations!(
        client_config,
        expiration_fire,
        expiration_get,
        expiration_schedule,
        expiration_sweep,
        mail_feedback,
        mail_send,
        not_found,
        notifications_consumer,
        notifications_list,
        orders_cancel,
        orders_problem,
        orders_file_get,
        files_check,
        tickets_file_upload,
        tickets_file_get,
        orders_create,
        orders_get,
        orders_list,
        outbox_relay,
        payments_create,
        payments_list,
        payments_reconcile,
        payments_webhook,
        payouts_account_get,
        payouts_account_link,
        payouts_list,
        payouts_release,
        payouts_schedule,
        payouts_webhook,
        payouts_sweep,
        tickets_create,
        tickets_delete,
        tickets_get,
        tickets_list,
        tickets_update,
        users_currentuser,
        users_password_reset,
        users_password_reset_confirm,
        users_signin,
        users_signout,
        users_signup,
        users_verify_email,
        users_verify_email_resend,
    )
}

/// The logical ids of the template's resources that `value` refers to (`!Ref`, `!GetAtt`,
/// `${...}` in `!Sub`), whatever its depth.
fn referenced(value: &Value, resources: &BTreeSet<String>, found: &mut BTreeSet<String>) {
    match value {
        Value::Tagged(tagged) => {
            let text = tagged.value.as_str().unwrap_or_default();
            let names: Vec<&str> = match tagged.tag.to_string().as_str() {
                "!Sub" => text.split("${").skip(1).filter_map(|part| part.split('}').next()).collect(),
                _ => vec![text],
            };
            for name in names {
                let id = name.split('.').next().unwrap_or_default();
                if resources.contains(id) {
                    found.insert(id.to_owned());
                }
            }
            referenced(&tagged.value, resources, found);
        }
        Value::Sequence(items) => items.iter().for_each(|item| referenced(item, resources, found)),
        Value::Mapping(entries) => entries.values().for_each(|item| referenced(item, resources, found)),
        _ => {}
    }
}

/// Variables naming something a function hands to another service without touching it.
const PASSED_ON: [&str; 3] = ["EXPIRY_FUNCTION_ARN", "PAYOUT_RELEASE_FUNCTION_ARN", "SCHEDULE_DLQ_ARN"];

#[test]
fn each_function_gets_exactly_the_variables_it_reads_and_a_policy_over_exactly_their_resources() {
    let template = template();
    let configurations = configurations();
    let local_env: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo_root().join("events/sam-local-env.json")).unwrap()).unwrap();
    let resources = resource_ids(&template);
    let secrets: BTreeSet<String> =
        resources_of_type(&template, "AWS::SecretsManager::Secret").into_iter().map(|(id, _)| id.to_owned()).collect();
    let functions = resources_of_type(&template, "AWS::Serverless::Function");
    assert_eq!(functions.len(), configurations.len(), "a configuration for every function");
    for (id, function) in functions {
        let name = binary(function);
        let ((reads, required), _) = &configurations[name];
        let camel: String = name.split('-').map(|word| word[..1].to_uppercase() + &word[1..]).collect();
        assert_eq!(id, format!("{camel}Function"), "the logical id follows the binary's name");

        let variables = &function["Properties"]["Environment"]["Variables"];
        let given: BTreeSet<&str> =
            variables.as_mapping().into_iter().flatten().map(|(key, _)| key.as_str().unwrap()).collect();
        let missing: Vec<_> = required.difference(&given).collect();
        let unread: Vec<_> = given.iter().filter(|variable| !reads.contains(*variable)).collect();
        assert!(missing.is_empty() && unread.is_empty(), "{name}: missing {missing:?}, never read {unread:?}");
        let local: BTreeSet<&str> = local_env[id]
            .as_object()
            .unwrap_or_else(|| panic!("{id} in sam-local-env.json"))
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(local, given, "{id} in events/sam-local-env.json");

        let mut accessed = BTreeSet::new();
        for (variable, value) in variables.as_mapping().into_iter().flatten() {
            if !PASSED_ON.contains(&variable.as_str().unwrap()) {
                referenced(value, &resources, &mut accessed);
            }
        }
        accessed.retain(|resource| !secrets.contains(resource));
        let mut granted = BTreeSet::new();
        let (policies, role) = policies_of(&template, function);
        referenced(policies, &resources, &mut granted);
        if let Some(role) = role {
            granted.remove(role);
        }
        // What Lambda itself sends failed batches and invocations to, with the function's role.
        let mut destinations = BTreeSet::new();
        for event in function["Properties"]["Events"].as_mapping().into_iter().flatten().map(|(_, event)| event) {
            referenced(&event["Properties"]["DestinationConfig"], &resources, &mut destinations);
            // And the queue or stream Lambda polls for it.
            referenced(&event["Properties"]["Queue"], &resources, &mut destinations);
            referenced(&event["Properties"]["Stream"], &resources, &mut destinations);
        }
        referenced(&function["Properties"]["EventInvokeConfig"], &resources, &mut destinations);
        // And the key Lambda decrypts its environment with.
        referenced(&function["Properties"]["KmsKeyArn"], &resources, &mut destinations);
        let granted_beyond: Vec<_> = granted.difference(&accessed).filter(|r| !destinations.contains(*r)).collect();
        let ungranted: Vec<_> = accessed.difference(&granted).collect();
        assert!(
            granted_beyond.is_empty() && ungranted.is_empty(),
            "{name}: policy beyond its variables {granted_beyond:?}, variables without a policy {ungranted:?}"
        );
    }
}

fn function_of<'a>(template: &'a Value, binary_name: &str) -> &'a Value {
    resources_of_type(template, "AWS::Serverless::Function")
        .into_iter()
        .find(|(_, function)| binary(function) == binary_name)
        .unwrap_or_else(|| panic!("a {binary_name} function"))
        .1
}

#[test]
fn a_failed_expiry_is_kept_and_a_sweep_expires_what_no_schedule_did() {
    let template = template();
    let fire = &function_of(&template, "expiration-fire")["Properties"]["EventInvokeConfig"];
    assert_eq!(fire["MaximumRetryAttempts"].as_u64(), Some(2));
    assert_eq!(fire["DestinationConfig"]["OnFailure"]["Type"].as_str(), Some("SQS"));
    let Value::Tagged(destination) = &fire["DestinationConfig"]["OnFailure"]["Destination"] else {
        panic!("a !GetAtt")
    };
    let queue = destination.value.as_str().unwrap().split('.').next().unwrap();
    assert_eq!(template["Resources"][queue]["Type"].as_str(), Some("AWS::SQS::Queue"));

    let sweep = &function_of(&template, "expiration-sweep")["Properties"]["Events"];
    let schedule = sweep.as_mapping().unwrap().values().next().unwrap();
    assert_eq!(schedule["Type"].as_str(), Some("Schedule"));
    let rate = schedule["Properties"]["Schedule"].as_str().unwrap();
    assert!(rate.starts_with("rate(") && rate.contains("minutes"), "{rate}");
    let open = index(&template, "OrdersTable", aws_adapters::DynamoOrders::OPEN_INDEX);
    assert_eq!(open["KeySchema"][0]["AttributeName"].as_str(), Some(aws_adapters::DynamoOrders::OPEN));
    assert_eq!(open["KeySchema"][1]["AttributeName"].as_str(), Some(aws_adapters::DynamoOrders::OPEN_UNTIL));
    // The sweep reads each order again as it expires it: the index holds the keys alone.
    assert_eq!(open["Projection"]["ProjectionType"].as_str(), Some("KEYS_ONLY"));
}

#[test]
fn the_schedule_group_name_is_valid_for_any_stack_name() {
    let template = template();
    let group = &template["Resources"]["ReservationScheduleGroup"];
    assert_eq!(group["Type"].as_str(), Some("AWS::Scheduler::ScheduleGroup"));
    // A name derived from the stack's (up to 128 characters) could exceed the group's 64.
    assert!(group["Properties"]["Name"].is_null(), "CloudFormation names the group");
}

#[test]
fn outbound_notifications_go_through_a_fifo_queue_that_drops_repeats() {
    let template = template();
    for queue in ["OutboundNotificationsQueue", "OutboundNotificationsDeadLetterQueue"] {
        assert_eq!(template["Resources"][queue]["Properties"]["FifoQueue"].as_bool(), Some(true), "{queue}");
    }
    let content_based = &template["Resources"]["OutboundNotificationsQueue"]["Properties"]["ContentBasedDeduplication"];
    assert!(content_based.is_null(), "deduplicated by the notification's id, not by the body");
}

#[test]
fn the_api_is_throttled_and_logged_and_every_log_is_kept_for_a_while() {
    let deployed = ticketing_tests::stack::deployed_template();
    let resources = deployed["Resources"].as_object().unwrap();
    let stage = resources.values().find(|r| r["Type"] == "AWS::ApiGatewayV2::Stage").expect("the API's stage");
    let settings = &stage["Properties"];
    assert!(settings["DefaultRouteSettings"]["ThrottlingRateLimit"].as_f64().is_some_and(|rate| rate > 0.0));
    let default_burst = settings["DefaultRouteSettings"]["ThrottlingBurstLimit"].as_i64().unwrap();
    for route in ["POST /api/users/signup", "POST /api/users/signin"] {
        let burst = settings["RouteSettings"][route]["ThrottlingBurstLimit"].as_i64();
        assert!(burst.is_some_and(|burst| burst < default_burst), "{route} is throttled tighter");
    }
    let access_logs = settings["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"][0].as_str().expect("access logs");
    assert_eq!(resources[access_logs]["Type"], "AWS::Logs::LogGroup");

    let retained = |group: &str| resources[group]["Properties"]["RetentionInDays"].is_object();
    assert!(retained(access_logs));
    for (id, function) in resources.iter().filter(|(_, r)| r["Type"] == "AWS::Lambda::Function") {
        let group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"].as_str();
        let group = group.unwrap_or_else(|| panic!("{id} logs to a log group of the template"));
        assert_eq!(resources[group]["Type"], "AWS::Logs::LogGroup", "{id}");
        assert!(retained(group), "{id}: its logs are kept for LogRetentionDays");
    }
    // A flood of requests on other routes never takes the capacity that settles payments
    // and expires reservations.
    for id in ["PaymentsWebhookFunction", "ExpirationFireFunction"] {
        let reserved = resources[id]["Properties"]["ReservedConcurrentExecutions"].as_i64();
        assert!(reserved.is_some_and(|reserved| reserved > 0), "{id}");
    }
}

#[test]
fn the_client_and_the_api_share_one_cloudfront_origin_and_only_it_reads_the_bucket() {
    let template = template();
    let resources = &template["Resources"];
    let config = &resources["WebDistribution"]["Properties"]["DistributionConfig"];
    let origins: BTreeMap<&str, &Value> = config["Origins"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|origin| (origin["Id"].as_str().unwrap(), origin))
        .collect();
    let access = serde_norway::to_string(&origins["web"]["OriginAccessControlId"]).unwrap();
    assert!(access.contains("WebOriginAccessControl"), "the bucket is read through origin access control: {access}");
    let api_domain = serde_norway::to_string(&origins["api"]["DomainName"]).unwrap();
    assert!(api_domain.contains("${HttpApi}.execute-api"), "the API origin is this stack's HTTP API: {api_domain}");
    assert_eq!(origins["api"]["CustomOriginConfig"]["OriginProtocolPolicy"].as_str(), Some("https-only"));

    assert_eq!(config["DefaultCacheBehavior"]["TargetOriginId"].as_str(), Some("web"));
    assert_eq!(config["DefaultRootObject"].as_str(), Some("index.html"));
    let behaviors = config["CacheBehaviors"].as_sequence().unwrap();
    // The client's configuration alone is kept at the edge, as its answer says; it comes
    // before /api/* (CloudFront takes the first pattern that matches).
    let patterns: Vec<&str> = behaviors.iter().filter_map(|b| b["PathPattern"].as_str()).collect();
    assert_eq!(patterns, ["/api/config", "/api/*"]);
    let kept = &behaviors[0];
    assert_eq!(kept["TargetOriginId"].as_str(), Some("api"));
    assert_eq!(
        kept["CachePolicyId"].as_str(),
        Some("658327ea-f89d-4fab-a63d-7e88639e58f6"),
        "Managed-CachingOptimized"
    );
    assert!(kept.get("OriginRequestPolicyId").is_none(), "no cookie or header of the viewer reaches it");
    let kept_methods: Vec<&str> =
        kept["AllowedMethods"].as_sequence().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(kept_methods, ["GET", "HEAD"]);
    let api = behaviors.iter().find(|b| b["PathPattern"].as_str() == Some("/api/*")).expect("an /api/* behaviour");
    assert_eq!(api["TargetOriginId"].as_str(), Some("api"));
    assert_eq!(api["CachePolicyId"].as_str(), Some("4135ea2d-6df8-44a3-9df3-4b5a84be39ad"), "Managed-CachingDisabled");
    assert_eq!(
        api["OriginRequestPolicyId"].as_str(),
        Some("b689b0a8-53d0-40ab-baf2-68738e2966ac"),
        "Managed-AllViewerExceptHostHeader: the cookie, the Authorization header and the query reach the API"
    );
    let methods: BTreeSet<&str> =
        api["AllowedMethods"].as_sequence().unwrap().iter().filter_map(Value::as_str).collect();
    let routed: BTreeSet<&str> = ROUTES.iter().map(|route| route.method).collect();
    assert!(routed.is_subset(&methods), "every method a route answers: {routed:?} within {methods:?}");

    let block = &resources["WebBucket"]["Properties"]["PublicAccessBlockConfiguration"];
    for setting in ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"] {
        assert_eq!(block[setting].as_bool(), Some(true), "{setting}");
    }
    let statements = resources["WebBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"].as_sequence().unwrap();
    for allow in statements.iter().filter(|s| s["Effect"].as_str() == Some("Allow")) {
        assert_eq!(allow["Principal"]["Service"].as_str(), Some("cloudfront.amazonaws.com"));
        let source = serde_norway::to_string(&allow["Condition"]["StringEquals"]["AWS:SourceArn"]).unwrap();
        assert!(source.contains("distribution/${WebDistribution}"), "only this distribution: {source}");
    }
}

#[test]
fn ticket_files_are_private_encrypted_reached_over_tls_put_from_the_client_only_and_deleted_in_time() {
    let template = template();
    let bucket = &template["Resources"]["FilesBucket"]["Properties"];
    let block = &bucket["PublicAccessBlockConfiguration"];
    for setting in ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"] {
        assert_eq!(block[setting].as_bool(), Some(true), "{setting}");
    }
    assert_eq!(bucket["OwnershipControls"]["Rules"][0]["ObjectOwnership"].as_str(), Some("BucketOwnerEnforced"));
    let encryption = &bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0];
    assert_eq!(encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"].as_str(), Some("AES256"));

    let policy = &template["Resources"]["FilesBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"];
    let statements = policy.as_sequence().unwrap();
    assert!(statements.iter().all(|s| s["Effect"].as_str() == Some("Deny")), "the policy only denies");
    let tls = statements.iter().find(|s| s["Sid"].as_str() == Some("TlsOnly")).expect("TLS only");
    assert_eq!(tls["Condition"]["Bool"]["aws:SecureTransport"].as_str(), Some("false"));

    // The client's origin is the parameter, never a request's; only PUT, with the signed headers.
    let [cors] = bucket["CorsConfiguration"]["CorsRules"].as_sequence().unwrap().as_slice() else {
        panic!("one CORS rule")
    };
    assert_eq!(serde_norway::to_string(&cors["AllowedOrigins"]).unwrap().trim(), "- !Ref PublicOrigin");
    let methods: Vec<&str> = cors["AllowedMethods"].as_sequence().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(methods, ["PUT"]);
    let headers: BTreeSet<&str> =
        cors["AllowedHeaders"].as_sequence().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(headers, BTreeSet::from(["content-type", domain::files::RETENTION_TAG_HEADER]));

    // One lifecycle rule per retention an upload's signed tag may name, deleting after it.
    let rules = bucket["LifecycleConfiguration"]["Rules"].as_sequence().unwrap();
    let expiring: BTreeMap<String, u64> = rules
        .iter()
        .filter_map(|rule| {
            let filter = &rule["TagFilters"][0];
            (filter["Key"].as_str() == Some(domain::files::RETENTION_TAG)).then(|| {
                assert_eq!(rule["Status"].as_str(), Some("Enabled"));
                (filter["Value"].as_str().unwrap().to_owned(), rule["ExpirationInDays"].as_u64().unwrap())
            })
        })
        .collect();
    let expected: BTreeMap<String, u64> =
        domain::files::RETENTION_DAYS.iter().map(|days| (days.to_string(), u64::from(*days))).collect();
    assert_eq!(expiring, expected);

    // The check runs on every object stored under the tickets' prefix.
    let check = &template["Resources"]["FilesCheckFunction"]["Properties"]["Events"]["Stored"];
    assert_eq!(check["Type"].as_str(), Some("EventBridgeRule"));
    let pattern = &check["Properties"]["Pattern"];
    assert_eq!(pattern["source"][0].as_str(), Some("aws.s3"));
    assert_eq!(pattern["detail-type"][0].as_str(), Some("Object Created"));
    assert_eq!(pattern["detail"]["object"]["key"][0]["prefix"].as_str(), Some(domain::entities::KEY_PREFIX));
    assert_eq!(
        bucket["NotificationConfiguration"]["EventBridgeConfiguration"]["EventBridgeEnabled"].as_bool(),
        Some(true)
    );
}

/// Every statement of every function's role: its actions, resources and condition.
fn statements(template: &Value) -> Vec<(String, Vec<String>, Vec<String>, Value)> {
    let text = |value: &Value| match value {
        Value::String(text) => text.clone(),
        Value::Tagged(tagged) => format!("{} {}", tagged.tag, tagged.value.as_str().unwrap_or_default()),
        other => format!("{other:?}"),
    };
    let many = |value: &Value| match value {
        Value::Sequence(items) => items.iter().map(text).collect(),
        Value::Null => Vec::new(),
        one => vec![text(one)],
    };
    let mut found = Vec::new();
    for (id, resource) in template["Resources"].as_mapping().unwrap() {
        let policies = if resource["Type"].as_str() == Some("AWS::Serverless::Function") {
            resource["Properties"]["Policies"].as_sequence().cloned().unwrap_or_default()
        } else if resource["Type"].as_str() == Some("AWS::IAM::Role") {
            let policies = resource["Properties"]["Policies"].as_sequence().cloned().unwrap_or_default();
            policies.iter().map(|policy| policy["PolicyDocument"].clone()).collect()
        } else {
            continue;
        };
        for policy in policies {
            for statement in policy["Statement"].as_sequence().into_iter().flatten() {
                let id = id.as_str().unwrap_or_default().to_owned();
                found.push((
                    id,
                    many(&statement["Action"]),
                    many(&statement["Resource"]),
                    statement["Condition"].clone(),
                ));
            }
        }
    }
    found
}

#[test]
fn no_role_may_query_an_index_it_does_not_name_or_pass_a_role_to_any_service() {
    let template = template();
    let statements = statements(&template);
    assert!(statements.iter().any(|(_, actions, ..)| actions.iter().any(|a| a == "dynamodb:Query")), "read them");
    for (id, actions, resources, condition) in &statements {
        for resource in resources {
            assert!(!resource.contains("/index/*"), "{id}: {actions:?} on every index: {resource}");
        }
        if actions.iter().any(|action| action == "iam:PassRole") {
            let service = condition["StringEquals"]["iam:PassedToService"].as_str();
            assert_eq!(service, Some("scheduler.amazonaws.com"), "{id}: iam:PassRole to any service");
        }
    }
}

/// The variables that hold a key or a secret.
const SECRET_VARIABLES: [&str; 7] = [
    "ORIGIN_VERIFY_SECRET",
    "SESSION_SIGNING_KEY",
    "SESSION_PUBLIC_KEYS",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_CONNECT_WEBHOOK_SECRET",
    "STRIPE_PUBLISHABLE_KEY",
];

#[test]
fn no_function_starts_with_a_key_or_secret_committed_to_the_repository_unless_the_run_is_local() {
    let template_text = std::fs::read_to_string(repo_root().join("template.yaml")).unwrap();
    assert!(!template_text.contains(LOCAL_RUN), "the template never marks a run local");
    let template = template();
    let local_env: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo_root().join("events/sam-local-env.json")).unwrap()).unwrap();
    // What a deployment gives instead: keys and secrets of its own.
    let (private, public) = edge::auth::generate_key_pair();
    let own: BTreeMap<&str, String> = BTreeMap::from([
        ("SESSION_SIGNING_KEY", private),
        ("SESSION_PUBLIC_KEYS", format!("samples={public}")),
        ("STRIPE_SECRET_KEY", "rk_live_51OwnKey".to_owned()),
        ("STRIPE_WEBHOOK_SECRET", "whsec_own".to_owned()),
        ("STRIPE_CONNECT_WEBHOOK_SECRET", "whsec_own_connect".to_owned()),
        ("STRIPE_PUBLISHABLE_KEY", "pk_live_51OwnKey".to_owned()),
        ("ORIGIN_VERIFY_SECRET", "generated-by-the-stack".to_owned()),
    ]);
    let configurations = configurations();
    let mut refused = 0;
    for (id, function) in resources_of_type(&template, "AWS::Serverless::Function") {
        let (_, load) = &configurations[binary(function)];
        let section = |name: &str| local_env[id][name].as_str().map(str::to_owned);
        load(&|name| own.get(name).cloned().or_else(|| section(name))).unwrap_or_else(|e| panic!("{id}: {e}"));
        for variable in SECRET_VARIABLES.into_iter().filter(|variable| section(variable).is_some()) {
            let committed = |name: &str| {
                if name == variable { section(name) } else { own.get(name).cloned().or_else(|| section(name)) }
            };
            let error = load(&committed).expect_err(&format!("{id} started with the committed {variable}"));
            assert!(error.to_string().contains(variable), "{id}: {error}");
            let local = |name: &str| if name == LOCAL_RUN { Some("true".to_owned()) } else { committed(name) };
            load(&local).unwrap_or_else(|e| panic!("{id}, run locally: {e}"));
            refused += 1;
        }
    }
    assert!(refused >= 30, "the samples give {refused} committed secrets");

    // The other committed keys: the samples' deploy-time parameters and the runner's defaults.
    let samconfig = std::fs::read_to_string(repo_root().join("samconfig.toml")).unwrap();
    let overrides = samconfig.lines().filter(|line| line.starts_with("parameter_overrides")).flat_map(|line| {
        line.trim_start_matches("parameter_overrides = ")
            .trim_matches('"')
            .split(' ')
            .map(str::to_owned)
            .collect::<Vec<_>>()
    });
    let committed_parameters: Vec<String> = overrides
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=')?;
            match name {
                "StripePublishableKey" => Some(value.to_owned()),
                "SessionPublicKeys" => value.split_once('=').map(|(_, key)| key.to_owned()),
                _ => None,
            }
        })
        .collect();
    assert_eq!(committed_parameters.len(), 2, "{committed_parameters:?}");
    for value in committed_parameters.iter().map(String::as_str).chain([
        local::LOCAL_WEBHOOK_SECRET,
        local::LOCAL_CONNECT_WEBHOOK_SECRET,
        edge::auth::DEVELOPMENT_SIGNING_KEY,
        edge::auth::DEVELOPMENT_PUBLIC_KEY,
    ]) {
        assert!(COMMITTED_SECRETS.contains(&value), "{value} is committed and not refused");
    }
}

#[test]
fn the_stack_is_not_created_with_a_committed_session_key() {
    let template = template();
    let assertions = template["Rules"]["SessionKeysAreNotCommitted"]["Assertions"].as_sequence().unwrap();
    let text = serde_norway::to_string(assertions).unwrap();
    for committed in [
        format!("{}={}", edge::auth::DEVELOPMENT_KEY_ID, edge::auth::DEVELOPMENT_PUBLIC_KEY),
        "samples=uqiPvoV8TrXyAb6TLQbtvxIrx122taeApYYb5wi_tm0".to_owned(),
    ] {
        assert!(text.contains(&committed), "the rule names {committed}");
        let key = committed.split_once('=').unwrap().1;
        assert!(COMMITTED_SECRETS.contains(&key));
    }
    assert!(text.contains("SessionKeyId") && text.contains("SessionPublicKeys"), "{text}");
}

/// Each Stripe-calling function's restricted key (a field of the Stripe secret), by what its
/// code calls: the narrowest set of permissions (the README's table lists them).
const STRIPE_KEYS: [(&str, &str); 11] = [
    ("payments-create", "payments_key"),
    ("expiration-fire", "payments_key"),
    ("expiration-schedule", "payments_key"),
    ("expiration-sweep", "payments_key"),
    ("payments-webhook", "refunds_key"),
    ("payments-reconcile", "reconcile_key"),
    ("payouts-account-link", "onboarding_key"),
    ("payouts-account-get", "payout_account_key"),
    ("payouts-webhook", "transfers_key"),
    ("payouts-release", "transfers_key"),
    ("payouts-sweep", "transfers_key"),
];

#[test]
fn secrets_are_encrypted_with_the_stacks_own_key_and_each_stripe_caller_has_its_restricted_key() {
    let template = template();
    let key = &template["Resources"]["SecretsKey"];
    assert_eq!(key["Type"].as_str(), Some("AWS::KMS::Key"));
    assert_eq!(key["Properties"]["EnableKeyRotation"].as_bool(), Some(true));
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let mut stripe_keys = BTreeMap::new();
    for (id, function) in resources_of_type(&template, "AWS::Serverless::Function") {
        let properties = &function["Properties"];
        let variables = &properties["Environment"]["Variables"];
        let holds_secret = SECRET_VARIABLES
            .iter()
            .filter(|variable| **variable != "SESSION_PUBLIC_KEYS" && **variable != "STRIPE_PUBLISHABLE_KEY")
            .any(|variable| variables.get(*variable).is_some());
        let encrypted = properties["KmsKeyArn"].clone();
        if !holds_secret {
            assert!(encrypted.is_null(), "{id} holds no secret: the default key costs nothing");
            continue;
        }
        let key_arn = serde_norway::to_string(&encrypted).unwrap();
        assert!(key_arn.contains("SecretsKey.Arn"), "{id}: its environment is encrypted with SecretsKey: {key_arn}");
        // Lambda decrypts it with the function's role.
        let role_text = serde_norway::to_string(policies_of(&template, function).0).unwrap();
        assert!(
            role_text.contains("kms:Decrypt") && role_text.contains("SecretsKey.Arn"),
            "{id}: its role may decrypt with SecretsKey"
        );
        if let Some(Value::Tagged(reference)) = variables.get("STRIPE_SECRET_KEY") {
            let field = reference.value.as_str().unwrap().rsplit(':').next().unwrap().trim_end_matches("}}");
            stripe_keys.insert(binary(function).to_owned(), field.to_owned());
        }
    }
    let expected: BTreeMap<String, String> =
        STRIPE_KEYS.iter().map(|(function, field)| ((*function).to_owned(), (*field).to_owned())).collect();
    assert_eq!(stripe_keys, expected, "each Stripe-calling function's restricted key");
    for field in expected.values() {
        assert!(readme.contains(&format!("| `{field}` |")), "the README lists the permissions of {field}");
    }
}

/// The resources each alarm of the template watches (what its dimensions name), with its
/// metric names, for alarms that notify the alarm topic.
fn alarms(template: &Value) -> Vec<(BTreeSet<String>, Vec<String>)> {
    let resources = resource_ids(template);
    let mut found = Vec::new();
    for (id, alarm) in resources_of_type(template, "AWS::CloudWatch::Alarm") {
        let properties = &alarm["Properties"];
        let mut notified = BTreeSet::new();
        referenced(&properties["AlarmActions"], &resources, &mut notified);
        assert!(notified.contains("AlarmTopic"), "{id} notifies the alarm topic");
        assert_eq!(properties["TreatMissingData"].as_str(), Some("notBreaching"), "{id}: no data is no trouble");
        let mut watched = BTreeSet::new();
        referenced(&properties["Dimensions"], &resources, &mut watched);
        referenced(&properties["Metrics"], &resources, &mut watched);
        let text = serde_norway::to_string(properties).unwrap();
        let metrics =
            ["ApproximateNumberOfMessagesVisible", "IteratorAge", "Errors", "Throttles", "ReadThrottleEvents"]
                .into_iter()
                .filter(|metric| text.contains(&format!("MetricName: {metric}")))
                .map(str::to_owned)
                .collect();
        found.push((watched, metrics));
    }
    found
}

/// The queues the template sends what failed for good to: dead-letter targets, on-failure
/// destinations, and the queues a function is given to park or dead-letter into.
fn dead_letter_queues(template: &Value) -> BTreeSet<String> {
    let resources = resource_ids(template);
    fn walk(value: &Value, resources: &BTreeSet<String>, found: &mut BTreeSet<String>) {
        match value {
            Value::Mapping(map) => {
                for (key, inner) in map {
                    let key = key.as_str().unwrap_or_default();
                    if key == "deadLetterTargetArn" || key == "Destination" || key.contains("DLQ") {
                        referenced(inner, resources, found);
                    }
                    walk(inner, resources, found);
                }
            }
            Value::Sequence(items) => items.iter().for_each(|item| walk(item, resources, found)),
            Value::Tagged(tagged) => walk(&tagged.value, resources, found),
            _ => {}
        }
    }
    let mut found = BTreeSet::new();
    walk(&template["Resources"], &resources, &mut found);
    let queues: BTreeSet<String> =
        resources_of_type(template, "AWS::SQS::Queue").into_iter().map(|(id, _)| id.to_owned()).collect();
    found.intersection(&queues).cloned().collect()
}

#[test]
fn every_dead_letter_queue_function_and_table_has_an_alarm_that_notifies_the_topic() {
    let template = template();
    let alarms = alarms(&template);
    let watched = |id: &str, metric: &str| {
        alarms.iter().any(|(watched, metrics)| watched.contains(id) && metrics.iter().any(|m| m == metric))
    };
    let queues = dead_letter_queues(&template);
    assert!(queues.len() >= 9, "{queues:?}");
    for queue in &queues {
        assert!(watched(queue, "ApproximateNumberOfMessagesVisible"), "{queue} holding a message alarms");
    }
    for (id, _) in resources_of_type(&template, "AWS::Serverless::Function") {
        assert!(watched(id, "Errors") && watched(id, "Throttles"), "{id}'s errors and throttles alarm");
    }
    for (id, _) in resources_of_type(&template, "AWS::DynamoDB::Table") {
        assert!(watched(id, "ReadThrottleEvents"), "{id}'s throttled requests alarm");
    }
    assert!(watched("OutboxRelayFunction", "IteratorAge"), "the relay falling behind its stream alarms");
    let topic = &template["Resources"]["AlarmTopicEmail"];
    assert_eq!(topic["Condition"].as_str(), Some("HasAlarmEmail"), "an e-mail subscription only when one is given");
}

#[test]
fn the_dashboard_is_json_and_the_order_story_query_reads_every_functions_logs() {
    let template = template();
    let dashboard = &template["Resources"]["OperationsDashboard"]["Properties"]["DashboardBody"];
    let Value::Tagged(body) = dashboard else { panic!("the body is a !Sub") };
    let mut text = body.value.as_str().unwrap().to_owned();
    // What CloudFormation substitutes: any name will do to check the JSON around it.
    while let Some(start) = text.find("${") {
        let end = start + text[start..].find('}').unwrap();
        text.replace_range(start..=end, "name");
    }
    let body: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let titles: Vec<&str> =
        body["widgets"].as_array().unwrap().iter().map(|w| w["properties"]["title"].as_str().unwrap()).collect();
    for wanted in ["Purchases", "Failures", "Queues"] {
        assert!(titles.iter().any(|title| title.starts_with(wanted)), "{wanted}: {titles:?}");
    }

    let query = &template["Resources"]["OrderStoryQuery"]["Properties"];
    let resources = resource_ids(&template);
    let mut groups = BTreeSet::new();
    referenced(&query["LogGroupNames"], &resources, &mut groups);
    for (id, function) in resources_of_type(&template, "AWS::Serverless::Function") {
        let mut group = BTreeSet::new();
        referenced(&function["Properties"]["LoggingConfig"]["LogGroup"], &resources, &mut group);
        assert!(group.iter().all(|group| groups.contains(group)) && !group.is_empty(), "{id}'s log group is queried");
    }
    assert!(query["QueryString"].as_str().unwrap().contains("ORDER_ID"));
}
