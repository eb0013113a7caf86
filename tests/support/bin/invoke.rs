//! `invoke <function> <event file>`: runs the sample through the function's own binary the
//! way Lambda runs it (its environment from `template.yaml`, the Runtime API emulated),
//! against a fresh stack of the template on moto (`MOTO_ENDPOINT`) seeded with what the
//! samples expect, and prints the response. `scripts/invoke` starts moto and localstripe.

use std::path::Path;
use std::process::ExitCode;

use ticketing_tests::deployed;
use ticketing_tests::lambda::Outcome;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [function, sample] = args.as_slice() else {
        eprintln!(
            "usage: invoke <function> <event file>   (e.g. users-signup events/users-signup/201-new-account.json)"
        );
        return ExitCode::from(64);
    };
    if !deployed::binaries().join(function).is_file() {
        eprintln!("{function}: no such function binary");
        return ExitCode::from(64);
    }
    let run = deployed::run(function, Path::new(sample)).await;
    eprint!("{}", run.logs);
    for recorded in &run.recorded {
        eprintln!("aws: {}", recorded.operation);
    }
    let (value, code) = match run.outcome {
        Outcome::Response(response) => (response, 0),
        Outcome::Error(error) => (error, 1),
        Outcome::InitFailed(reason) => (serde_json::Value::String(reason), 2),
    };
    println!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
    ExitCode::from(code)
}
