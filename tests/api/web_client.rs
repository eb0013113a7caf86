//! The web client as the local runner serves it (`web/`, at `/`), and what it is told of
//! payments (`GET /api/config`). tests/browser drives it in chromium.

use reqwest::Method;
use reqwest::header::CONTENT_TYPE;
use std::path::Path;
use ticketing_tests::{json, spawn_app};

#[tokio::test]
async fn every_file_of_the_client_is_served_with_its_type_and_nothing_else_is() {
    let app = spawn_app().await;
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../web");
    let mut files: Vec<String> =
        std::fs::read_dir(&folder).unwrap().map(|entry| entry.unwrap().file_name().into_string().unwrap()).collect();
    files.sort();
    let mut served: Vec<String> = local::WEB_FILES.iter().map(|(name, ..)| name.to_string()).collect();
    served.sort();
    assert_eq!(files, served, "every file of web/ is in the runner (local::WEB_FILES), and only those");

    for name in &files {
        let reply = app.client.get(app.url(&format!("/{name}"))).send().await.unwrap();
        assert_eq!(reply.status(), 200, "{name}");
        let content_type = reply.headers()[CONTENT_TYPE].to_str().unwrap().to_owned();
        let expected = match name.rsplit('.').next().unwrap() {
            "html" => "text/html",
            "js" => "text/javascript",
            "css" => "text/css",
            "svg" => "image/svg+xml",
            other => panic!("a file type the runner does not serve: {other}"),
        };
        assert!(content_type.starts_with(expected), "{name}: {content_type}");
        assert_eq!(reply.bytes().await.unwrap(), std::fs::read(folder.join(name)).unwrap(), "{name}");
    }
    let home = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(home.bytes().await.unwrap(), std::fs::read(folder.join("index.html")).unwrap());
    let unknown = app.get("/secrets.json").await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.body["errors"].is_array(), "{}", unknown.body);
}

#[tokio::test]
async fn each_test_card_the_client_offers_does_what_its_label_says() {
    let app = spawn_app().await;
    let config = app.get("/api/config").await;
    assert_eq!(config.status, 200);
    assert_eq!(config.body["payments"], "test");
    assert!(config.body.get("publishableKey").is_none(), "{}", config.body);
    let cards = config.body["testCards"].as_array().unwrap().clone();
    assert_eq!(cards.len(), 3, "{}", config.body);

    let seller = app.session("seller@example.com").await;
    for (n, card) in cards.iter().enumerate() {
        let label = card["label"].as_str().unwrap();
        let expected = match label {
            _ if label.ends_with("(succeeds)") => 201,
            _ if label.ends_with("(declined)") => 402,
            _ if label.ends_with("(asks for 3-D Secure)") => 202,
            _ => panic!("a label that says no outcome: {label}"),
        };
        let ticket = app.create_ticket(&seller, &json!({ "title": format!("Show {n}"), "price": 10 })).await;
        let buyer = app.session(&format!("buyer{n}@example.com")).await;
        let order = app
            .with_session(Method::POST, "/api/orders", &buyer, Some(&json!({ "ticketId": ticket.body["id"] })))
            .await;
        let paid = app
            .with_session(
                Method::POST,
                "/api/payments",
                &buyer,
                Some(&json!({ "orderId": order.body["id"], "token": card["token"] })),
            )
            .await;
        assert_eq!(paid.status, expected, "{label}: {}", paid.body);
    }
}
