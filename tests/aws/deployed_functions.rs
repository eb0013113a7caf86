//! The functions as deployed: every sample in `events/` through its function's own binary,
//! run the way Lambda runs it (`scripts/invoke` does one), against a stack of the template
//! on moto; and each function's role, as the SAM transform makes it, against the AWS
//! requests its binary made on the way.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;
use ticketing_tests::deployed::{self, Run};
use ticketing_tests::lambda::Outcome;
use ticketing_tests::recorder::Call;
use ticketing_tests::samples::{self, every_functions_samples, expected_status};
use ticketing_tests::stack::{Stack, binary_of, deployed_template, logical_id_of, resources_of_type};
use tokio::sync::OnceCell;

/// Permissions only a path no sample takes uses, each with the tests that take it. Any
/// other permission no sample's calls use is an error: it is removed from the template.
const UNSAMPLED_PATHS: [(&str, &str, &str, &str); 44] = [
    ("expiration-schedule", "dynamodb:DeleteItem", "InboxTable", RELEASE),
    ("mail-send", "dynamodb:DeleteItem", "InboxTable", MAIL_NOT_SENT),
    ("users-password-reset", "dynamodb:GetItem", "SignInAttemptsTable", RESETS_THROTTLED),
    ("users-verify-email-resend", "dynamodb:GetItem", "SignInAttemptsTable", VERIFICATION_RESENT),
    ("users-verify-email-resend", "dynamodb:UpdateItem", "SignInAttemptsTable", VERIFICATION_RESENT),
    ("users-verify-email-resend", "dynamodb:PutItem", "SignInAttemptsTable", VERIFICATION_RESENT),
    ("users-verify-email-resend", "dynamodb:PutItem", "OutboxTable", VERIFICATION_RESENT),
    ("payouts-sweep", "dynamodb:PutItem", "OutboxTable", TRANSFERRED),
    ("payouts-webhook", "dynamodb:PutItem", "OutboxTable", TRANSFERRED),
    ("payouts-account-get", "dynamodb:PutItem", "OutboxTable", TRANSFERRED),
    ("payouts-account-link", "dynamodb:PutItem", "OutboxTable", TRANSFERRED),
    ("notifications-consumer", "dynamodb:DeleteItem", "InboxTable", RELEASE),
    ("payments-webhook", "dynamodb:DeleteItem", "InboxTable", RELEASE),
    ("payouts-webhook", "dynamodb:DeleteItem", "InboxTable", RELEASE),
    ("payouts-webhook", "dynamodb:GetItem", "PayoutsTable", HELD_UNTIL_ENABLED),
    ("expiration-fire", "dynamodb:GetItem", "PaymentsTable", PAID_BEFORE_ITS_WEBHOOK),
    ("expiration-fire", "dynamodb:PutItem", "PaymentsTable", PAID_BEFORE_ITS_WEBHOOK),
    ("expiration-sweep", "dynamodb:GetItem", "PaymentsTable", PAID_BEFORE_ITS_WEBHOOK),
    ("expiration-sweep", "dynamodb:PutItem", "PaymentsTable", PAID_BEFORE_ITS_WEBHOOK),
    ("expiration-fire", "dynamodb:PutItem", "PayoutsTable", PAID_BEFORE_ITS_WEBHOOK),
    ("expiration-sweep", "dynamodb:PutItem", "PayoutsTable", PAID_BEFORE_ITS_WEBHOOK),
    ("expiration-schedule", "dynamodb:PutItem", "PaymentsTable", CANCELLED_AWAITING_PAYMENT),
    ("expiration-schedule", "dynamodb:PutItem", "PayoutsTable", CANCELLED_AWAITING_PAYMENT),
    ("payments-reconcile", "dynamodb:GetItem", "OrdersTable", MISSED_BY_THE_WEBHOOK),
    ("payments-reconcile", "dynamodb:GetItem", "TicketsTable", MISSED_BY_THE_WEBHOOK),
    ("payments-reconcile", "dynamodb:PutItem", "OrdersTable", MISSED_BY_THE_WEBHOOK),
    ("payments-reconcile", "dynamodb:PutItem", "TicketsTable", MISSED_BY_THE_WEBHOOK),
    ("payments-reconcile", "dynamodb:PutItem", "PaymentsTable", MISSED_BY_THE_WEBHOOK),
    ("payments-reconcile", "dynamodb:GetItem", "PayoutsTable", MISSED_BY_THE_WEBHOOK),
    ("payments-reconcile", "dynamodb:PutItem", "PayoutsTable", MISSED_BY_THE_WEBHOOK),
    ("payments-reconcile", "dynamodb:PutItem", "OutboxTable", MISSED_BY_THE_WEBHOOK),
    ("payments-reconcile", "dynamodb:DeleteItem", "InboxTable", MISSED_BY_THE_WEBHOOK),
    ("payouts-account-get", "dynamodb:PutItem", "PayoutsTable", ONBOARDED_BEFORE_THE_REPORT),
    ("payouts-account-get", "dynamodb:Query", "PayoutsTable/index/by-account", ONBOARDED_BEFORE_THE_REPORT),
    ("payouts-account-get", "dynamodb:Query", "PayoutsTable/index/by-seller", ONBOARDED_BEFORE_THE_REPORT),
    ("tickets-file-upload", "s3:PutObject", "FilesBucket/tickets/*", PRESIGNED),
    ("tickets-file-upload", "s3:PutObjectTagging", "FilesBucket/tickets/*", PRESIGNED),
    ("tickets-file-get", "s3:GetObject", "FilesBucket/tickets/*", PRESIGNED),
    ("orders-file-get", "s3:GetObject", "FilesBucket/tickets/*", PRESIGNED),
    ("files-check", "dynamodb:GetItem", "OrdersTable", A_FILE_PASSES),
    ("files-check", "dynamodb:GetItem", "PayoutsTable", A_FILE_PASSES),
    ("files-check", "dynamodb:PutItem", "PayoutsTable", A_FILE_PASSES),
    ("files-check", "dynamodb:PutItem", "OutboxTable", A_FILE_PASSES),
    ("expiration-sweep", "dynamodb:UpdateItem", "TicketsTable", PAST_DATED_LISTING),
];

const PAST_DATED_LISTING: &str = "a ticket listed while its event was to come is taken out of the listing's index \
    once the event has passed (aws_semantics.rs on moto); the samples' tickets are undated";

const PRESIGNED: &str = "the function signs a URL with its role's credentials and makes no call: the browser \
    uses the permission through that URL (file_store_conformance.rs on moto, delivery_api.rs on the runner)";

const A_FILE_PASSES: &str = "a stored file is read and checked against a pending upload, attached, and for a \
    complete sale its payout released from awaiting delivery (file_store_conformance.rs on moto, delivery_api.rs); \
    the samples' file is a listed ticket's, not a sale's";

const ONBOARDED_BEFORE_THE_REPORT: &str = "a seller's account that finished onboarding before the provider reported \
    it is recorded enabled at the seller's next look, and what was held for want of it released (payments_api.rs); \
    the samples' accounts are not onboarded";

const HELD_UNTIL_ENABLED: &str = "a payout held for want of an account is read again and released when the \
    provider reports the account enabled (payments_api.rs); the samples' account has no payout held";

const RESETS_THROTTLED: &str = "a full window of resets is read to answer 429 with its Retry-After \
    (password_reset.rs)";
const TRANSFERRED: &str = "a transfer is recorded with its payout.paid event, which tells the seller; each of these \
    functions transfers what it releases (payments_api.rs, payout_store_conformance.rs); only payouts-release's \
    samples have a payout due to an account able to receive it (the other samples' account is not onboarded)";
const VERIFICATION_RESENT: &str = "an unverified account's owner asks for another verification mail, counted \
    against the hour's five, with its event through the outbox (email_verification.rs); the samples' account is \
    verified (connecting a payout account asks for it), and its sessions are the only ones signed";
const MAIL_NOT_SENT: &str = "a mail SES did not take releases its claim, and is sent by the retry (mail.rs)";
const RELEASE: &str = "an event's claim is released when its effect fails (event_backbone.rs, fault_injection.rs)";
const PAID_BEFORE_ITS_WEBHOOK: &str = "an order awaiting payment whose intent succeeded before its webhook came is \
    completed by its expiry (payments_api.rs, fault_injection.rs)";

const CANCELLED_AWAITING_PAYMENT: &str = "the payable intent of an order cancelled while awaiting payment is \
    claimed and cancelled at the gateway (recovery.rs, payments_api.rs); or, as above, an order paid before its \
    webhook is completed by its expiry";

const MISSED_BY_THE_WEBHOOK: &str = "a Stripe event the webhook missed is applied as the webhook would \
    (recovery.rs, payment_gateway_conformance.rs); the samples' Stripe has no event of theirs";

/// Whether `entry` names `grant` of `function`: a table (`OrdersTable`) or one of its indexes
/// (`OrdersTable/index/by-buyer`).
fn is_unsampled(entry: &(&str, &str, &str, &str), function: &str, grant: &Grant) -> bool {
    let (name, action, resource, _) = entry;
    let granted = match resource.split_once('/') {
        None => grant.resource["Fn::GetAtt"][0] == *resource,
        Some((table, index)) => grant.resource["Fn::Sub"] == format!("${{{table}.Arn}}/{index}").as_str(),
    };
    *name == function && grant.action == *action && granted
}

/// Every sample, run once per test process: both tests read the same runs.
async fn runs() -> &'static [Run] {
    static RUNS: OnceCell<Vec<Run>> = OnceCell::const_new();
    RUNS.get_or_init(|| async {
        let binaries = deployed::binaries();
        let limit = Arc::new(tokio::sync::Semaphore::new(4));
        let mut tasks = tokio::task::JoinSet::new();
        for (function, samples) in every_functions_samples() {
            assert!(binaries.join(&function).is_file(), "events/{function}/ names no function binary");
            for sample in samples {
                let (function, limit) = (function.clone(), limit.clone());
                tasks.spawn(async move {
                    let _permit = limit.acquire().await.expect("open");
                    deployed::run(&function, &sample).await
                });
            }
        }
        let mut runs: Vec<Run> = tasks.join_all().await;
        runs.sort_by(|a, b| a.sample.cmp(&b.sample));
        runs
    })
    .await
}

#[tokio::test]
async fn every_sample_gets_its_outcome_from_its_functions_own_binary() {
    let runs = runs().await;
    let mut failures = Vec::new();
    for run in runs {
        let sample = run.sample.strip_prefix(ticketing_tests::repo_root()).unwrap_or(&run.sample).display();
        let http = run
            .sample
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.split('-').next().is_some_and(|status| status.parse::<u16>().is_ok()));
        let ok = match (&run.outcome, http) {
            (Outcome::Response(_), true) => run.outcome.status() == Some(expected_status(&run.sample)),
            // An event's invocation succeeds, reporting no failed message of its batch.
            (Outcome::Response(response), false) => response["batchItemFailures"].as_array().is_none_or(Vec::is_empty),
            _ => false,
        };
        if !ok {
            failures.push(format!("{sample}: {:?}\n{}", run.outcome, run.logs));
        }
    }
    assert!(failures.is_empty(), "{} of {} samples:\n{}", failures.len(), runs.len(), failures.join("\n"));
    let functions: BTreeSet<&str> = runs.iter().map(|run| run.function.as_str()).collect();
    assert_eq!(functions.len(), resources_of_type(deployed_template(), "AWS::Lambda::Function").len());
}

/// `pattern` (IAM's `*` and `?`) matches `text`.
fn glob(pattern: &str, text: &str) -> bool {
    let (pattern, text): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut p, mut t, mut star, mut mark) = (0, 0, None, 0);
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            (p, t) = (p + 1, t + 1);
        } else if p < pattern.len() && pattern[p] == '*' {
            (star, mark, p) = (Some(p), t, p + 1);
        } else if let Some(s) = star {
            (p, mark, t) = (s + 1, mark + 1, mark + 1);
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

fn one_or_many(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

/// A permission a role grants: an action pattern on a resource expression of the template.
#[derive(Debug, Clone)]
struct Grant {
    action: String,
    resource: Value,
}

impl Grant {
    fn allows(&self, stack: &Stack, call: &Call) -> bool {
        let resource = stack.evaluate(&self.resource).unwrap_or_default();
        glob(&self.action.to_lowercase(), &call.action.to_lowercase()) && glob(&resource, &call.resource)
    }

    fn describe(&self) -> String {
        format!("{} on {}", self.action, self.resource)
    }
}

/// The inline statements of the role `function` runs with (the AWS managed policies are
/// checked apart).
fn grants(template: &Value, function: &str) -> (Vec<Grant>, Vec<String>) {
    let role = &template["Resources"][function]["Properties"]["Role"]["Fn::GetAtt"][0];
    let role = &template["Resources"][role.as_str().unwrap_or_else(|| panic!("{function} has a role of the template"))];
    let mut grants = Vec::new();
    for policy in role["Properties"]["Policies"].as_array().into_iter().flatten() {
        for statement in one_or_many(&policy["PolicyDocument"]["Statement"]) {
            assert_eq!(statement["Effect"], "Allow", "{function}: only Allow statements");
            for action in one_or_many(&statement["Action"]) {
                for resource in one_or_many(&statement["Resource"]) {
                    grants.push(Grant {
                        action: action.as_str().unwrap_or_default().to_owned(),
                        resource: resource.clone(),
                    });
                }
            }
        }
    }
    let managed = one_or_many(&role["Properties"]["ManagedPolicyArns"])
        .into_iter()
        .map(|arn| arn.as_str().or(arn["Fn::Sub"].as_str()).map(str::to_owned).unwrap_or_else(|| arn.to_string()))
        .collect();
    (grants, managed)
}

/// What Lambda itself does with a function's role: poll its queue or stream, send what fails
/// to the destinations the template names, and decrypt an environment encrypted with a key
/// of the stack's.
fn service_needs(template: &Value, function: &str) -> Vec<(String, Value)> {
    let is_this = |resource: &Value| resource["Properties"]["FunctionName"]["Ref"] == function;
    let mut needs = Vec::new();
    let key = &template["Resources"][function]["Properties"]["KmsKeyArn"];
    if !key.is_null() {
        needs.push(("kms:Decrypt".to_owned(), key.clone()));
    }
    for (_, mapping) in resources_of_type(template, "AWS::Lambda::EventSourceMapping") {
        if !is_this(mapping) {
            continue;
        }
        let source = &mapping["Properties"]["EventSourceArn"]["Fn::GetAtt"];
        let (id, attribute) = (source[0].as_str().unwrap_or_default(), source[1].as_str().unwrap_or_default());
        let actions: &[&str] = match attribute {
            "StreamArn" => {
                &["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"]
            }
            _ => &["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
        };
        let resource = serde_json::json!({ "Fn::GetAtt": [id, attribute] });
        needs.extend(actions.iter().map(|action| (action.to_string(), resource.clone())));
        let destination = &mapping["Properties"]["DestinationConfig"]["OnFailure"]["Destination"];
        if !destination.is_null() {
            needs.push(("sqs:SendMessage".to_owned(), destination.clone()));
        }
    }
    for (_, config) in resources_of_type(template, "AWS::Lambda::EventInvokeConfig") {
        let destination = &config["Properties"]["DestinationConfig"]["OnFailure"]["Destination"];
        if is_this(config) && !destination.is_null() {
            needs.push(("sqs:SendMessage".to_owned(), destination.clone()));
        }
    }
    needs
}

/// The AWS managed policy that lets Lambda write a traced function's traces (X-Ray's write
/// actions, which name no resource).
const TRACES: &str = "/AWSXrayWriteOnlyAccess";

/// The AWS managed policies that grant on every queue or every stream of the account.
const ACCOUNT_WIDE: [&str; 2] = ["AWSLambdaSQSQueueExecutionRole", "AWSLambdaDynamoDBExecutionRole"];

#[tokio::test]
async fn each_functions_role_allows_what_its_code_calls_and_nothing_else() {
    let template = deployed_template();
    let runs = runs().await;
    let mut by_function: BTreeMap<&str, Vec<&Run>> = BTreeMap::new();
    for run in runs {
        by_function.entry(run.function.as_str()).or_default().push(run);
    }
    let mut problems = Vec::new();
    for (id, _) in resources_of_type(template, "AWS::Lambda::Function") {
        let function = binary_of(id);
        assert_eq!(logical_id_of(&function), id);
        let (grants, managed) = grants(template, id);
        for policy in &managed {
            if ACCOUNT_WIDE.iter().any(|wide| policy.contains(wide)) {
                problems.push(format!("{function}: {policy} grants on every queue or stream of the account"));
            } else if !policy.ends_with("/AWSLambdaBasicExecutionRole") && !policy.ends_with(TRACES) {
                problems.push(format!("{function}: unexpected managed policy {policy}"));
            }
        }
        // Every function is traced (as the Tracing parameter says), and may write its traces.
        let tracing = &template["Resources"][id]["Properties"]["TracingConfig"]["Mode"];
        if tracing["Ref"] != "Tracing" {
            problems.push(format!("{function}: traced as {tracing}, not as the Tracing parameter says"));
        }
        if !managed.iter().any(|policy| policy.ends_with(TRACES)) {
            problems.push(format!("{function}: Lambda needs {TRACES} to write its traces"));
        }
        let runs = by_function.get(function.as_str()).map(Vec::as_slice).unwrap_or_default();
        let mut used = vec![false; grants.len()];
        let mut mark = |stack: &Stack, call: &Call| {
            let mut allowed = false;
            for (grant, used) in grants.iter().zip(used.iter_mut()) {
                if grant.allows(stack, call) {
                    (allowed, *used) = (true, true);
                }
            }
            allowed
        };
        for run in runs {
            for recorded in &run.recorded {
                for call in &recorded.calls {
                    if !mark(&run.stack, call) {
                        problems.push(format!(
                            "{function}: {} on {} ({} in {}) is not allowed",
                            call.action,
                            call.resource,
                            recorded.operation,
                            run.sample.display()
                        ));
                    }
                }
            }
            for (action, resource) in service_needs(template, id) {
                let Some(resource) = run.stack.evaluate(&resource) else { continue };
                let call = Call { action: action.clone(), resource: resource.clone() };
                if !mark(&run.stack, &call) {
                    problems.push(format!("{function}: Lambda needs {action} on {resource}"));
                }
            }
        }
        if runs.is_empty() {
            problems.push(format!("{function}: no sample ran"));
        }
        for (grant, used) in grants.iter().zip(&used) {
            let unsampled = UNSAMPLED_PATHS.iter().any(|entry| is_unsampled(entry, &function, grant));
            if !used && !unsampled {
                problems.push(format!("{function}: {} is granted and never used", grant.describe()));
            }
        }
        // An entry of UNSAMPLED_PATHS names a permission granted, and no sample uses.
        for entry in UNSAMPLED_PATHS.iter().filter(|(name, ..)| *name == function) {
            let granted = grants.iter().zip(&used).find(|(grant, _)| is_unsampled(entry, &function, grant));
            match granted {
                None => problems.push(format!("{entry:?} is not granted: drop it from UNSAMPLED_PATHS")),
                Some((_, true)) => {
                    problems.push(format!("{entry:?} is used by a sample: drop it from UNSAMPLED_PATHS"))
                }
                Some((_, false)) => {}
            }
        }
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

/// What a run read from the table `id` of its stack: (operation, resource) pairs.
fn reads_of<'a>(run: &'a Run, id: &str) -> Vec<&'a str> {
    let table = format!(":table/{}", run.stack.physical(id).expect("the table"));
    run.recorded
        .iter()
        .filter(|recorded| {
            recorded.calls.iter().any(|call| {
                (call.action == "dynamodb:GetItem" || call.action == "dynamodb:Query")
                    && (call.resource.ends_with(&table) || call.resource.contains(&format!("{table}/index/")))
            })
        })
        .map(|recorded| recorded.operation.as_str())
        .collect()
}

/// The run of the sample at `path` (under `events/`).
fn run_of<'a>(runs: &'a [Run], path: &str) -> &'a Run {
    runs.iter().find(|run| run.sample.ends_with(path)).unwrap_or_else(|| panic!("no run of {path}"))
}

#[tokio::test]
async fn the_webhook_reads_the_payment_it_settles_once() {
    let runs = runs().await;
    let run = run_of(runs, "payments-webhook/200-payment-succeeded.json");
    assert!(matches!(run.outcome.status(), Some(200)), "{:?}", run.outcome);
    assert_eq!(reads_of(run, "PaymentsTable").len(), 1, "{:#?}", run.recorded);
    let writes: Vec<&str> =
        run.recorded.iter().map(|r| r.operation.as_str()).filter(|op| op.contains("Transact")).collect();
    assert_eq!(writes, ["dynamodb:TransactWriteItems"], "the completion is one transaction");
}

/// The browser's second `POST /api/payments`, once Stripe.js confirmed the payment, records
/// it from the function's own Stripe account (the intent looked up there) and answers with
/// the complete order's page.
#[tokio::test]
async fn asked_again_after_the_browser_paid_the_function_records_the_payment_and_answers_the_complete_order() {
    let run = run_of(runs().await, "payments-create/201-record-browser-payment.json");
    let Outcome::Response(response) = &run.outcome else { panic!("{:?}", run.outcome) };
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        (response["statusCode"].as_u64(), body["status"].as_str(), body["order"]["status"].as_str()),
        (Some(201), Some("succeeded"), Some("complete")),
        "{body}"
    );
    assert_eq!(body["order"]["id"], samples::CONFIRMED_ORDER);
}

/// Every metric the template reads from the logs matches what its function's own binary
/// logs when a sample does what the metric counts: a filter on a message no line carries
/// would count nothing, and its alarm would never fire.
#[tokio::test]
async fn every_log_metric_filter_matches_a_line_its_function_logs() {
    let template = deployed_template();
    let runs = runs().await;
    let filters = resources_of_type(template, "AWS::Logs::MetricFilter");
    assert!(filters.len() >= 4, "{}", filters.len());
    for (id, filter) in filters {
        let properties = &filter["Properties"];
        let group = properties["LogGroupName"]["Ref"].as_str().expect("a log group of the stack");
        let function = binary_of(&group.replace("Logs", "Function"));
        let pattern = properties["FilterPattern"].as_str().unwrap();
        let message = pattern.split('"').nth(1).expect("a message to match");
        assert_eq!(pattern, format!("{{ $.fields.message = \"{message}\" }}"), "{id}: the one form read here");
        let value = properties["MetricTransformations"][0]["MetricValue"].as_str().unwrap();
        let matching: Vec<Value> = runs
            .iter()
            .filter(|run| run.function == function)
            .flat_map(|run| run.logs.lines().filter_map(|line| serde_json::from_str::<Value>(line).ok()))
            .filter(|line| line["fields"]["message"] == message)
            .collect();
        assert!(!matching.is_empty(), "{id}: no sample of {function} logs {message:?}");
        if let Some(field) = value.strip_prefix("$.fields.") {
            assert!(matching.iter().all(|line| line["fields"][field].as_u64().is_some()), "{id}: {field} is a count");
        }
    }
}

/// The order a sample is about: the one sample order it names (by its id, or by its
/// payment's intent), or the order its response made (a new order's `id`).
fn order_of_run(run: &Run) -> Option<String> {
    let text = std::fs::read_to_string(&run.sample).expect("a sample");
    let intents = [(samples::PAID_INTENT, samples::PAID_ORDER), (samples::PAYING_INTENT, samples::PAYING_ORDER)];
    let by_intent = intents.iter().filter(|(intent, _)| text.contains(intent)).map(|(_, order)| *order);
    let by_id = samples::SAMPLE_ORDERS.iter().map(|order| order.0).filter(|id| text.contains(id));
    let named: BTreeSet<&str> = by_id.chain(by_intent).collect();
    let named: Vec<&str> = named.into_iter().collect();
    match named[..] {
        [one] => Some(one.to_owned()),
        [] if run.function == "orders-create" => match &run.outcome {
            Outcome::Response(response) => {
                serde_json::from_str::<Value>(response["body"].as_str()?).ok()?["id"].as_str().map(str::to_owned)
            }
            _ => None,
        },
        _ => None,
    }
}

/// One order's story is one Logs Insights query (the template's `OrderStoryQuery`): every
/// line a function logs while it handles a sample carries the invocation's request id and,
/// when the sample is about an order, that order's id, whether the order came in the path,
/// an event, a schedule's input, a body or a provider's event; a line about one order of a
/// batch (a sweep's) names that one.
#[tokio::test]
async fn every_line_logged_in_an_invocation_names_its_request_and_the_order_it_is_about() {
    let runs = runs().await;
    let (mut lines, mut about_orders, mut problems) = (0, 0, Vec::new());
    for run in runs {
        let order = order_of_run(run);
        for line in run.logs.lines().filter_map(|line| serde_json::from_str::<Value>(line).ok()) {
            // A line with no span was logged at cold start, before any invocation.
            let Some(spans) = line["spans"].as_array() else { continue };
            lines += 1;
            // The innermost span that has the field: a batch item's own, within its invocation.
            let field = |name: &str| spans.iter().rev().find_map(|span| span[name].as_str());
            let sample = run.sample.display();
            if field("requestId").is_none_or(str::is_empty) {
                problems.push(format!("{sample}: no request id on {line}"));
            }
            let order = line["fields"]["order"].as_str().or(order.as_deref());
            if let Some(order) = order {
                about_orders += 1;
                if field("order_id") != Some(order) {
                    problems.push(format!("{sample}: {order} is not named on {line}"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
    assert!(about_orders >= 10, "only {about_orders} of {lines} lines were logged about a sample's order");
}

/// A password reset's or a verification's token goes into the mail's link and nowhere else:
/// the confirmations' samples carry the sample account's tokens, and no line their binaries
/// log holds the secret.
#[tokio::test]
async fn no_line_logged_holds_a_reset_token() {
    let runs = runs().await;
    for (function, secret, logged) in [
        ("users-password-reset-confirm", samples::SAMPLE_RESET_SECRET, "password reset"),
        ("users-verify-email", samples::SAMPLE_VERIFICATION_SECRET, "e-mail address verified"),
    ] {
        let confirmations: Vec<&Run> = runs.iter().filter(|run| run.function == function).collect();
        assert!(confirmations.len() >= 2, "{function}'s samples ran");
        assert!(confirmations.iter().any(|run| run.logs.contains(logged)), "{function}'s lines were read");
        for run in confirmations {
            assert!(!run.logs.contains(secret), "{}: {}", run.sample.display(), run.logs);
        }
    }
}
