//! A sample through its function's own binary, as deployed: a stack of the template on
//! moto, seeded with what the samples expect, the function's environment from the
//! template, the Runtime API emulated, and every AWS request recorded on the way to moto.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use aws_adapters::{
    DynamoChanges, DynamoSignInAttempts, DynamoUsers, OrdersTable, OutboxTable, PaymentsTable, PayoutsTable,
    SignInAttemptsTable, TicketsTable, UsersTable,
};
use serde_json::Value;
use stripe_adapter::StripeGateway;

use crate::lambda::{Outcome, RunningFunction};
use crate::recorder::{Recorded, Recorder};
use crate::stack::{Stack, logical_id_of};
use crate::{localstripe, moto, samples};

/// The tables the samples' data lives in.
const SEEDED_TABLES: [&str; 7] = [
    "UsersTable",
    "SignInAttemptsTable",
    "TicketsTable",
    "OrdersTable",
    "PaymentsTable",
    "PayoutsTable",
    "OutboxTable",
];

/// Where cargo put the functions' binaries, built once per process (a no-op when fresh).
pub fn binaries() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let status = std::process::Command::new(env!("CARGO"))
            .args(["build", "--workspace", "--bins", "--locked", "--quiet"])
            .current_dir(crate::repo_root())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the functions' binaries failed");
        // This executable is target/<profile>/deps/<name> or target/<profile>/<name>.
        let exe = std::env::current_exe().expect("the running executable");
        let dir = exe.parent().expect("a directory");
        if dir.ends_with("deps") {
            dir.parent().expect("the profile directory").to_path_buf()
        } else {
            dir.to_path_buf()
        }
    })
}

/// One sample, run.
pub struct Run {
    pub function: String,
    pub sample: PathBuf,
    pub outcome: Outcome,
    pub recorded: Vec<Recorded>,
    pub logs: String,
    /// The stack it ran in, to evaluate the template's policies with its names.
    pub stack: Stack,
}

/// The sample's event as the function receives it: a webhook sample is signed again now,
/// as Stripe's signatures are good for minutes.
pub fn event_of(function: &str, sample: &Path) -> Value {
    let mut text = std::fs::read_to_string(sample).unwrap_or_else(|e| panic!("{}: {e}", sample.display()));
    let signed = text.contains("stripe-signature") && !sample.to_string_lossy().contains("stale");
    if samples::WEBHOOKS.iter().any(|(name, ..)| *name == function) && signed {
        text = samples::signed_now(function, &text);
    }
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", sample.display()))
}

/// Runs `sample` through `function`'s binary in a new stack on moto.
pub async fn run(function: &str, sample: &Path) -> Run {
    let moto = moto::endpoint();
    let recorder = Recorder::start(&moto).await;
    let (stack, env) = prepare(function, &recorder.url).await;
    let log = std::env::temp_dir().join(format!("{}-{function}.log", stack.name()));
    let binary = binaries().join(function);
    let mut running =
        RunningFunction::start(&binary, &env, &log).await.unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
    let outcome = running.invoke(event_of(function, sample)).await;
    let logs = running.logs();
    drop(running);
    let _ = std::fs::remove_file(&log);
    Run { function: function.to_owned(), sample: sample.to_path_buf(), outcome, recorded: recorder.take(), logs, stack }
}

/// A fresh stack of the function's resources on moto (`MOTO_ENDPOINT`), seeded with what the
/// samples expect, and the function's environment as deployed, its AWS calls going to
/// `aws_endpoint` (moto, or something in front of it).
pub async fn prepare(function: &str, aws_endpoint: &str) -> (Stack, Vec<(String, String)>) {
    let logical = logical_id_of(function);
    let mut stack = Stack::new(&moto::endpoint());
    stack.create(&SEEDED_TABLES.iter().map(|id| id.to_string()).collect()).await;
    stack.create_for(&logical).await;
    let changes = seed(&stack).await;
    if function == "files-check" {
        samples::upload_to_check(&changes, stack.physical("FilesBucket").expect("the files bucket")).await;
    }
    let mut env = stack.environment(&logical);
    env.push(("AWS_ENDPOINT_URL".to_owned(), aws_endpoint.to_owned()));
    if env.iter().any(|(name, _)| name == "STRIPE_SECRET_KEY")
        && let Ok(stripe) = std::env::var("LOCALSTRIPE_ENDPOINT")
    {
        env.push(("STRIPE_API_BASE".to_owned(), stripe));
        // An account of its own, as each deployment has: idempotency keys (derived from the
        // samples' fixed order ids) are scoped per account, so runs never replay each other.
        let key = format!("sk_test_{}", stack.name());
        for (name, value) in &mut env {
            if name == "STRIPE_SECRET_KEY" {
                value.clone_from(&key);
            }
        }
        let account = StripeGateway::new(&localstripe::account_key(&key)).expect("a Stripe client");
        match function {
            "payments-create" => samples::confirmed_in_browser(&account, &changes).await,
            "payouts-release" => samples::due_to_an_onboarded_seller(&account, &changes).await,
            _ => {}
        }
    }
    (stack, env)
}

async fn seed(stack: &Stack) -> DynamoChanges {
    let client = moto::dynamodb().await;
    let name = |id: &str| stack.physical(id).expect("a seeded table").to_owned();
    let users = DynamoUsers::new(client.clone(), &UsersTable(name("UsersTable")));
    let attempts = DynamoSignInAttempts::new(client.clone(), &SignInAttemptsTable(name("SignInAttemptsTable")));
    let (tickets, orders, payments) =
        (TicketsTable(name("TicketsTable")), OrdersTable(name("OrdersTable")), PaymentsTable(name("PaymentsTable")));
    let changes = DynamoChanges::new(client, &OutboxTable(name("OutboxTable")))
        .with_tickets(&tickets)
        .with_orders(&orders)
        .with_payments(&payments)
        .with_payouts(&PayoutsTable(name("PayoutsTable")));
    samples::seed(&users, &attempts, &changes).await;
    changes
}
