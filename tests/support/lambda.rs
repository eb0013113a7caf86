//! A function's own binary, run the way Lambda runs it: spawned with its environment and
//! fed invocations through an emulation of the Lambda Runtime API on 127.0.0.1.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::routing::{get, post};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

/// How an invocation ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The function's response (for an HTTP API route, `{statusCode, headers, body}`).
    Response(Value),
    /// The function reported the invocation as failed.
    Error(Value),
    /// The function failed to start (`/runtime/init/error`), or exited.
    InitFailed(String),
}

impl Outcome {
    /// The HTTP status of an HTTP API response.
    pub fn status(&self) -> Option<u16> {
        match self {
            Outcome::Response(response) => response["statusCode"].as_u64().and_then(|code| u16::try_from(code).ok()),
            _ => None,
        }
    }
}

type Pending = (String, Value);

#[derive(Clone)]
struct Api {
    queue: Arc<tokio::sync::Mutex<mpsc::Receiver<Pending>>>,
    waiting: Arc<Mutex<HashMap<String, oneshot::Sender<Outcome>>>>,
    function_arn: String,
}

const INVOCATION_TIMEOUT: Duration = Duration::from_secs(30);

async fn next(State(api): State<Api>) -> (StatusCode, HeaderMap, String) {
    let Some((request_id, event)) = api.queue.lock().await.recv().await else {
        return (StatusCode::GONE, HeaderMap::new(), String::new());
    };
    let deadline = chrono::Utc::now().timestamp_millis() + INVOCATION_TIMEOUT.as_millis() as i64;
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        headers.insert(name, HeaderValue::from_str(&value).expect("a header value"));
    };
    set("lambda-runtime-aws-request-id", request_id);
    set("lambda-runtime-deadline-ms", deadline.to_string());
    set("lambda-runtime-invoked-function-arn", api.function_arn.clone());
    set("lambda-runtime-trace-id", "Root=1-00000000-000000000000000000000000;Sampled=0".to_owned());
    (StatusCode::OK, headers, event.to_string())
}

fn finish(api: &Api, request_id: &str, outcome: Outcome) -> StatusCode {
    match api.waiting.lock().expect("not poisoned").remove(request_id) {
        Some(waiter) => {
            let _ = waiter.send(outcome);
            StatusCode::ACCEPTED
        }
        None => StatusCode::BAD_REQUEST,
    }
}

fn json_or_text(body: &Bytes) -> Value {
    serde_json::from_slice(body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

async fn response(State(api): State<Api>, UrlPath(request_id): UrlPath<String>, body: Bytes) -> StatusCode {
    finish(&api, &request_id, Outcome::Response(json_or_text(&body)))
}

async fn error(State(api): State<Api>, UrlPath(request_id): UrlPath<String>, body: Bytes) -> StatusCode {
    finish(&api, &request_id, Outcome::Error(json_or_text(&body)))
}

async fn init_error(State(api): State<Api>, body: Bytes) -> StatusCode {
    let reason = String::from_utf8_lossy(&body).into_owned();
    for (_, waiter) in api.waiting.lock().expect("not poisoned").drain() {
        let _ = waiter.send(Outcome::InitFailed(reason.clone()));
    }
    StatusCode::ACCEPTED
}

/// What Lambda sets for every function, whatever its template says, and the mark of a local
/// run that SAM CLI adds.
pub fn runtime_environment(name: &str, runtime_api: &str) -> Vec<(String, String)> {
    [
        ("AWS_LAMBDA_RUNTIME_API", runtime_api),
        ("AWS_LAMBDA_FUNCTION_NAME", name),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", &format!("/aws/lambda/{name}")),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "local"),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_SESSION_TOKEN", "testing"),
        // A local run, as SAM CLI marks one: the samples' committed secrets are taken.
        (domain::config::LOCAL_RUN, "true"),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect()
}

/// A function's binary, running under the emulated Runtime API.
pub struct RunningFunction {
    child: tokio::process::Child,
    invocations: mpsc::Sender<Pending>,
    waiting: Arc<Mutex<HashMap<String, oneshot::Sender<Outcome>>>>,
    server: tokio::task::JoinHandle<()>,
    log: PathBuf,
}

impl RunningFunction {
    /// Starts `binary` with Lambda's runtime variables plus `env` (and nothing else from
    /// this process's environment but `PATH`); its logs go to `log`.
    pub async fn start(binary: &Path, env: &[(String, String)], log: &Path) -> std::io::Result<Self> {
        let name = binary.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        let (invocations, queue) = mpsc::channel(16);
        let waiting = Arc::new(Mutex::new(HashMap::new()));
        let api = Api {
            queue: Arc::new(tokio::sync::Mutex::new(queue)),
            waiting: waiting.clone(),
            function_arn: format!("arn:aws:lambda:us-east-1:123456789012:function:{name}"),
        };
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(api);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?.to_string();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let log_file = std::fs::File::create(log)?;
        let child = tokio::process::Command::new(binary)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(runtime_environment(&name, &address))
            .envs(env.iter().map(|(name, value)| (name, value)))
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .kill_on_drop(true)
            .spawn()?;
        Ok(Self { child, invocations, waiting, server, log: log.to_path_buf() })
    }

    /// Invokes the function with `event` and waits for how it ends.
    pub async fn invoke(&mut self, event: Value) -> Outcome {
        let request_id = ulid::Ulid::new().to_string();
        let (tx, rx) = oneshot::channel();
        self.waiting.lock().expect("not poisoned").insert(request_id.clone(), tx);
        if self.invocations.send((request_id, event)).await.is_err() {
            return Outcome::InitFailed("the runtime API stopped".to_owned());
        }
        tokio::select! {
            outcome = rx => outcome.unwrap_or_else(|_| Outcome::InitFailed("no outcome".to_owned())),
            status = self.child.wait() => Outcome::InitFailed(format!("the process exited: {status:?}")),
            _ = tokio::time::sleep(INVOCATION_TIMEOUT) => Outcome::InitFailed("timed out".to_owned()),
        }
    }

    /// What the function logged so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for RunningFunction {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        self.server.abort();
    }
}
