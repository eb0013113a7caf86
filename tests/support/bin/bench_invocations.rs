//! `bench-invocations`: the invocation half of `scripts/bench` (a benchmark, not a test).
//! Every function's release binary, as Lambda runs it (the Runtime API emulated, its
//! environment from `template.yaml`), against a fresh seeded stack on moto:
//! - cold: process start to the response of its first invocation, its AWS calls going over
//!   TLS (`--tls`, a TLS front of moto whose certificate is `--ca`, given as AWS_CA_BUNDLE),
//!   for each function's first successful sample and for the `one-call` baseline; with the
//!   time Stripe (localstripe, behind the recording proxy, which times its answers) took to
//!   answer;
//! - hashing: the time one password hash takes, as the functions hash (`edge::passwords`);
//! - warm: the latency of `--warm` more invocations of that sample in the same process;
//! - calls: every sample once over plain HTTP through the recording proxy, with the AWS
//!   requests and DynamoDB request units each made.
//!
//! Prints one JSON object per line for scripts/bench_report.py.
//!
//!     bench-invocations --binaries target/release --tls https://127.0.0.1:PORT --ca cert.pem \
//!         [--cold 7] [--warm 1000] [--only function,function]
//!     bench-invocations --binaries target/debug --cold 0 --warm 0     (the calls alone)

use std::path::{Path, PathBuf};
use std::time::Instant;

use domain::ports::PasswordHasher;
use serde_json::{Value, json};
use ticketing_tests::deployed;
use ticketing_tests::lambda::{Outcome, RunningFunction};
use ticketing_tests::recorder::Recorder;

struct Options {
    binaries: PathBuf,
    tls: String,
    ca: String,
    cold: usize,
    warm: usize,
    /// These functions only (all by default).
    only: Option<Vec<String>>,
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| args.iter().position(|arg| arg == name).and_then(|at| args.get(at + 1)).cloned();
    let usage = "usage: bench-invocations --binaries DIR [--tls URL --ca FILE] [--cold N] [--warm N] [--only F,F]";
    let cold = value("--cold").map_or(7, |n| n.parse().expect(usage));
    // Only the cold runs go over TLS.
    let tls = |name| if cold == 0 { value(name).unwrap_or_default() } else { value(name).expect(usage) };
    Options {
        binaries: PathBuf::from(value("--binaries").expect(usage)),
        tls: tls("--tls"),
        ca: tls("--ca"),
        cold,
        warm: value("--warm").map_or(1000, |n| n.parse().expect(usage)),
        only: value("--only").map(|names| names.split(',').map(str::to_owned).collect()),
    }
}

/// Each function's samples, sorted by name.
fn samples() -> Vec<(String, Vec<PathBuf>)> {
    let events = ticketing_tests::repo_root().join("events");
    let mut functions: Vec<(String, Vec<PathBuf>)> = std::fs::read_dir(&events)
        .expect("events/")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let mut files: Vec<PathBuf> = std::fs::read_dir(&path)
                .ok()?
                .filter_map(|file| Some(file.ok()?.path()))
                .filter(|file| file.extension().is_some_and(|ext| ext == "json"))
                .collect();
            files.sort();
            Some((path.file_name()?.to_str()?.to_owned(), files))
        })
        .collect();
    functions.sort();
    functions
}

/// The first sample that succeeds: a 2xx (or a download's 303) HTTP sample, or an event.
fn successful(samples: &[PathBuf]) -> Option<&PathBuf> {
    samples.iter().find(|sample| {
        let name = sample.file_name().and_then(|name| name.to_str()).unwrap_or_default();
        match name.split('-').next().and_then(|status| status.parse::<u16>().ok()) {
            Some(status) => (200..300).contains(&status) || status == 303,
            None => true,
        }
    })
}

fn ok(outcome: &Outcome) -> bool {
    match outcome {
        Outcome::Response(response) => match response.get("statusCode").and_then(Value::as_u64) {
            Some(status) => (200..300).contains(&status) || status == 303,
            None => response["batchItemFailures"].as_array().is_none_or(Vec::is_empty),
        },
        _ => false,
    }
}

fn millis(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

/// The time `runs` password hashes took, one by one.
async fn hashing(runs: usize) -> Vec<f64> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let password = domain::entities::Password::parse("correct horse battery staple").expect("a password");
        let started = Instant::now();
        edge::passwords::Argon2Passwords.hash(password).await.expect("a hash");
        times.push(millis(started));
    }
    times
}

/// Cold runs (each in a fresh stack and process), then warm invocations in the last process.
async fn invocations(options: &Options, stripe: &Recorder, name: &str, binary: &Path, function: &str, sample: &Path) {
    let (mut cold, mut stripe_ms) = (Vec::new(), Vec::new());
    let mut failures = 0;
    let mut last = None;
    for _ in 0..options.cold {
        let (stack, mut env) = deployed::prepare(function, &options.tls).await;
        env.push(("AWS_CA_BUNDLE".to_owned(), options.ca.clone()));
        for (variable, value) in &mut env {
            if variable == "STRIPE_API_BASE" {
                value.clone_from(&stripe.url);
            }
        }
        if name == "one-call" {
            env.push(("USERS_TABLE".to_owned(), stack.physical("UsersTable").expect("the users table").to_owned()));
        }
        let event = deployed::event_of(function, sample);
        let log = std::env::temp_dir().join(format!("bench-{}-{name}.log", stack.name()));
        stripe.take_waited();
        let started = Instant::now();
        let mut running = RunningFunction::start(binary, &env, &log).await.expect("the binary starts");
        let outcome = running.invoke(event).await;
        cold.push(millis(started));
        stripe_ms.push(stripe.take_waited().as_secs_f64() * 1000.0);
        if !ok(&outcome) {
            failures += 1;
            eprintln!("{name}: {outcome:?}\n{}", running.logs());
        }
        let _ = std::fs::remove_file(&log);
        last = Some(running);
    }
    println!(
        "{}",
        json!({ "kind": "cold", "function": name, "ms": cold, "stripe_ms": stripe_ms, "failures": failures })
    );

    let Some(mut running) = last else { return };
    let event = deployed::event_of(function, sample);
    let mut warm = Vec::with_capacity(options.warm);
    let mut succeeded = 0;
    for _ in 0..options.warm {
        let started = Instant::now();
        let outcome = running.invoke(event.clone()).await;
        warm.push(millis(started));
        succeeded += usize::from(ok(&outcome));
    }
    println!(
        "{}",
        json!({ "kind": "warm", "function": name, "sample": sample.file_name().and_then(|n| n.to_str()), "ms": warm, "succeeded": succeeded })
    );
}

#[tokio::main]
async fn main() {
    let options = options();
    let samples = samples();
    let tickets_list = samples.iter().find(|(name, _)| name == "tickets-list").expect("tickets-list samples");
    let baseline = successful(&tickets_list.1).expect("a tickets-list sample").clone();
    eprintln!("== cold and warm invocations ({} cold, {} warm each)", options.cold, options.warm);
    if options.cold > 0 {
        println!("{}", json!({ "kind": "hashing", "ms": hashing(options.cold).await }));
    }
    let upstream = std::env::var("LOCALSTRIPE_ENDPOINT").unwrap_or_default();
    // Stripe's answers go through the recording proxy, which times them.
    let stripe = Recorder::start(&upstream).await;
    invocations(&options, &stripe, "one-call", &options.binaries.join("one-call"), "users-signup", &baseline).await;
    let wanted = |function: &str| options.only.as_ref().is_none_or(|only| only.iter().any(|name| name == function));
    let samples: Vec<_> = samples
        .into_iter()
        .filter(|(function, _)| options.binaries.join(function).is_file() && wanted(function))
        .collect();
    for (function, files) in &samples {
        let Some(sample) = successful(files) else { continue };
        eprintln!("   {function}");
        invocations(&options, &stripe, function, &options.binaries.join(function), function, sample).await;
    }

    eprintln!("== the AWS requests of every sample");
    for (function, files) in &samples {
        for sample in files {
            let run = deployed::run(function, sample).await;
            let calls: Vec<Value> = run
                .recorded
                .iter()
                .map(|call| {
                    json!({
                        "operation": call.operation, "reads": call.capacity.0, "writes": call.capacity.1,
                        "index_writes": call.index_writes, "entries": call.entries,
                    })
                })
                .collect();
            // The events the sample's change stored in the outbox, for the relay to publish: their types.
            let outbox = run.stack.physical("OutboxTable");
            let events: Vec<String> = run
                .recorded
                .iter()
                .flat_map(|recorded| &recorded.puts)
                .filter(|(table, _)| Some(table.as_str()) == outbox)
                .filter_map(|(_, item)| serde_json::from_value::<serde_dynamo::Item>(item.clone()).ok())
                .filter_map(|item| aws_adapters::Outbox::events_from_image(item).ok())
                .flatten()
                .map(|event| event.kind.as_str().to_owned())
                .collect();
            let sample = sample.file_name().and_then(|name| name.to_str());
            // What an HTTP function answers, as a client downloads it (its body).
            let response_bytes = match &run.outcome {
                Outcome::Response(response) => response["body"].as_str().map_or(0, str::len),
                _ => 0,
            };
            println!(
                "{}",
                json!({
                    "kind": "calls", "function": function, "sample": sample, "ok": ok(&run.outcome), "calls": calls,
                    "events": events, "log_bytes": run.logs.len(), "response_bytes": response_bytes,
                })
            );
        }
    }
}
