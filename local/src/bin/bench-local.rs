//! `bench-local [invocations]`: the routes' latency in process (scripts/bench; a benchmark,
//! not a test): each handler over the embedded store, as the local runner calls it, without
//! HTTP. Reads and writes on a store in a file (as `cargo run -p local` keeps it) and in
//! memory. Prints one JSON object per route for scripts/bench_report.py.

use std::collections::HashMap;
use std::time::Instant;

use lambda_http::{Body, Request, RequestExt};
use local::{Functions, LocalConfig, Storage};
use serde_json::{Value, json};

/// A read route: its function, method, path and path parameters.
type Read<'a> = (&'a str, &'a str, String, Vec<(&'a str, &'a str)>);

struct Bench {
    functions: Functions,
    cookie: String,
}

impl Bench {
    async fn call(
        &self,
        function: &str,
        method: &str,
        path: &str,
        params: &[(&str, &str)],
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = lambda_http::http::Request::builder()
            .method(method)
            .uri(format!("http://localhost{path}"))
            .header("cookie", &self.cookie);
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let body = body.map_or(Body::Empty, |body| Body::Text(body.to_string()));
        let path_params: HashMap<String, String> =
            params.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect();
        let request: Request = request.body(body).expect("a request").with_path_parameters(path_params);
        let response = self.functions.invoke(function, request).await.expect("a known function");
        let status = response.status().as_u16();
        let value = serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null);
        (status, value)
    }

    /// A new account's session cookie (`session=...`).
    async fn signed_up(&self, email: &str) -> String {
        let body = json!({ "email": email, "password": "correct horse battery" }).to_string();
        let request = lambda_http::http::Request::builder()
            .method("POST")
            .uri("http://localhost/api/users/signup")
            .header("content-type", "application/json")
            .body(Body::Text(body))
            .expect("a request");
        let response = self.functions.invoke("users-signup", request).await.expect("signup");
        let cookie = response.headers()["set-cookie"].to_str().expect("a cookie");
        cookie.split(';').next().expect("name=value").to_owned()
    }
}

fn millis(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

async fn bench(storage: &str, config: LocalConfig, n: usize) {
    let store = config.open_store().expect("the store");
    let functions = Functions::new(store, &config).expect("the functions");
    let mut bench = Bench { functions, cookie: String::new() };
    let seller = bench.signed_up("seller@example.com").await;
    let buyer = bench.signed_up("buyer@example.com").await;

    bench.cookie = seller.clone();
    for n in 0..50 {
        bench
            .call(
                "tickets-create",
                "POST",
                "/api/tickets",
                &[],
                Some(json!({ "title": format!("Show {n}"), "price": 20 })),
            )
            .await;
    }
    let (_, ticket) = bench
        .call("tickets-create", "POST", "/api/tickets", &[], Some(json!({ "title": "Edited", "price": 20 })))
        .await;
    let edited = ticket["id"].as_str().unwrap().to_owned();
    let (_, ticket) = bench
        .call("tickets-create", "POST", "/api/tickets", &[], Some(json!({ "title": "Wanted", "price": 20 })))
        .await;
    let wanted = ticket["id"].as_str().unwrap().to_owned();
    bench.cookie = buyer;
    let (_, order) = bench.call("orders-create", "POST", "/api/orders", &[], Some(json!({ "ticketId": wanted }))).await;
    let order = order["id"].as_str().unwrap().to_owned();

    let report = |route: &str, kind: &str, ms: Vec<f64>| {
        println!("{}", json!({ "route": format!("{route} ({storage})"), "kind": kind, "ms": ms }));
    };
    let reads: [Read; 6] = [
        ("tickets-list", "GET", "/api/tickets".to_owned(), vec![]),
        ("tickets-get", "GET", format!("/api/tickets/{wanted}"), vec![("id", wanted.as_str())]),
        ("orders-list", "GET", "/api/orders".to_owned(), vec![]),
        ("orders-get", "GET", format!("/api/orders/{order}"), vec![("id", order.as_str())]),
        ("expiration-get", "GET", format!("/api/expiration/{order}"), vec![("orderId", order.as_str())]),
        ("users-currentuser", "GET", "/api/users/currentuser".to_owned(), vec![]),
    ];
    for (function, method, path, params) in &reads {
        let mut ms = Vec::with_capacity(n);
        for _ in 0..n {
            let started = Instant::now();
            let (status, _) = bench.call(function, method, path, params, None).await;
            ms.push(millis(started));
            assert!(status < 300, "{function}: {status}");
        }
        report(function, "read", ms);
    }

    // Writes: a new ticket, an edit, and an order placed then cancelled, again and again.
    bench.cookie = seller;
    let (mut create, mut update) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let started = Instant::now();
        let (status, _) = bench
            .call(
                "tickets-create",
                "POST",
                "/api/tickets",
                &[],
                Some(json!({ "title": format!("New {i}"), "price": 30 })),
            )
            .await;
        create.push(millis(started));
        assert_eq!(status, 201);
        let started = Instant::now();
        let path = format!("/api/tickets/{edited}");
        let (status, _) = bench
            .call(
                "tickets-update",
                "PUT",
                &path,
                &[("id", &edited)],
                Some(json!({ "title": format!("Edit {i}"), "price": 31 })),
            )
            .await;
        update.push(millis(started));
        assert_eq!(status, 200);
    }
    report("tickets-create", "write", create);
    report("tickets-update", "write", update);
    bench.cookie = bench.signed_up("second@example.com").await;
    let (mut place, mut cancel) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let started = Instant::now();
        let (status, order) =
            bench.call("orders-create", "POST", "/api/orders", &[], Some(json!({ "ticketId": edited }))).await;
        place.push(millis(started));
        assert_eq!(status, 201, "{order}");
        let id = order["id"].as_str().unwrap().to_owned();
        let started = Instant::now();
        let (status, _) =
            bench.call("orders-cancel", "DELETE", &format!("/api/orders/{id}"), &[("id", &id)], None).await;
        cancel.push(millis(started));
        assert_eq!(status, 204);
    }
    report("orders-create", "write", place);
    report("orders-cancel", "write", cancel);
}

#[tokio::main]
async fn main() {
    let n = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(1000);
    let dir = std::env::temp_dir().join(format!("bench-local-{}", ulid::Ulid::new()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let mut file = LocalConfig::for_tests();
    file.storage = Storage::Dir(dir.clone());
    bench("file", file, n).await;
    bench("memory", LocalConfig::for_tests(), n).await;
    let _ = std::fs::remove_dir_all(dir);
}
