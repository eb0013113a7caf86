//! The real local runner, killed with SIGKILL right after an order and right after a
//! payment, twenty times in a row, and restarted on the same data each time: nothing a
//! committed change announced is lost, the overdue expiries fire after the restarts, and
//! the invariants hold.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const ROUNDS: usize = 20;
const RESERVATION_SECONDS: u64 = 2;

/// The local runner on a data directory, on a free port.
struct Runner {
    child: Child,
    base: String,
}

impl Runner {
    fn start(data: &Path) -> Self {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_ticketing-local"))
            .env("PORT", port.to_string())
            .env("LOCAL_DATA_DIR", data)
            .env("RESERVATION_TIMEOUT_SECONDS", RESERVATION_SECONDS.to_string())
            // One buyer orders every round's ticket.
            .env("MAX_OPEN_RESERVATIONS", "1000")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the local runner starts");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the local runner never listened");
            std::thread::sleep(Duration::from_millis(10));
        }
        Self { child, base }
    }

    /// SIGKILL: no shutdown of any kind.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

async fn call(
    runner: &Runner,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut request = client.request(method, format!("{}{path}", runner.base));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the runner answers");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Signs `email` up and returns its session token (from the `session` cookie).
async fn session(runner: &Runner, email: &str) -> String {
    let response = reqwest::Client::new()
        .post(format!("{}/api/users/signup", runner.base))
        .json(&json!({ "email": email, "password": "correct horse battery" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    cookie.trim_start_matches("session=").split(';').next().unwrap().to_owned()
}

fn data_dir() -> PathBuf {
    std::env::temp_dir().join(format!("crash-{}", ulid::Ulid::new().to_string().to_lowercase()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_after_orders_and_payments_nothing_is_lost_and_every_expiry_fires() {
    let data = data_dir();
    let mut runner = Runner::start(&data);
    let seller = session(&runner, "seller@example.com").await;
    let buyer = session(&runner, "buyer@example.com").await;
    let mut placed = Vec::new();
    for round in 0..ROUNDS {
        let (status, ticket) = call(
            &runner,
            reqwest::Method::POST,
            "/api/tickets",
            Some(&seller),
            Some(json!({ "title": format!("Gig {round}"), "price": 10 })),
        )
        .await;
        assert_eq!(status, 201, "{ticket}");
        let (status, order) = call(
            &runner,
            reqwest::Method::POST,
            "/api/orders",
            Some(&buyer),
            Some(json!({ "ticketId": ticket["id"] })),
        )
        .await;
        assert_eq!(status, 201, "{order}");
        runner.kill();
        runner = Runner::start(&data);
        let paid = round % 2 == 0;
        if paid {
            let body = json!({ "orderId": order["id"], "token": "pm_card_visa" });
            let (status, payment) =
                call(&runner, reqwest::Method::POST, "/api/payments", Some(&buyer), Some(body)).await;
            assert_eq!(status, 201, "round {round}: {payment}");
            runner.kill();
            runner = Runner::start(&data);
        }
        placed.push((order["id"].as_str().unwrap().to_owned(), ticket["id"].as_str().unwrap().to_owned(), paid));
    }

    // Every unpaid reservation lapses and its expiry fires, though the runner was killed
    // meanwhile; every paid order stays complete. Each order notifies twice: its
    // reservation, then its receipt or its expiry.
    let expected: Vec<(String, &str)> = placed
        .iter()
        .flat_map(|(order, _, paid)| {
            let last = if *paid { "payment.receipt" } else { "reservation.expired" };
            [(order.clone(), "reservation.created"), (order.clone(), last)]
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(RESERVATION_SECONDS + 30);
    let missing = loop {
        let (_, notifications) =
            call(&runner, reqwest::Method::GET, "/api/notifications?limit=100", Some(&buyer), None).await;
        let notified = |order: &str, kind: &str| {
            notifications.as_array().unwrap().iter().any(|n| n["orderId"] == order && n["kind"] == kind)
        };
        let missing: Vec<_> = expected.iter().filter(|(order, kind)| !notified(order, kind)).collect();
        if missing.is_empty() || Instant::now() > deadline {
            break missing;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(missing.is_empty(), "notices never sent: {missing:?}");
    for (order_id, ticket_id, paid) in &placed {
        let (_, order) =
            call(&runner, reqwest::Method::GET, &format!("/api/orders/{order_id}"), Some(&buyer), None).await;
        let (_, ticket) = call(&runner, reqwest::Method::GET, &format!("/api/tickets/{ticket_id}"), None, None).await;
        if *paid {
            let states = (order["status"].as_str(), ticket["status"].as_str());
            assert_eq!(states, (Some("complete"), Some("sold")), "{order}");
        } else {
            let states = (order["status"].as_str(), order["cancelReason"].as_str());
            assert_eq!(states, (Some("cancelled"), Some("expired")), "the overdue expiry fired: {order}");
            assert_eq!((ticket["status"].as_str(), &ticket["orderId"]), (Some("available"), &Value::Null), "{ticket}");
        }
    }
    let (status, letters) = call(&runner, reqwest::Method::GET, "/_local/dead-letters", None, None).await;
    assert_eq!((status, letters), (200, json!([])), "nothing given up on");
    runner.kill();
    std::fs::remove_dir_all(data).unwrap();
}
