//! Delivering the ticket over HTTP against the local runner, which plays S3: the seller's
//! file goes to signed upload URLs, is checked, and reaches the buyer alone once paid.

use reqwest::Method;
use serde_json::Value;
use ticketing_tests::{Reply, SAMPLE_PDF, TestApp, charge_refunded, eventually, json, spawn_app};

/// A seller's new ticket: (seller's cookie, ticket id).
async fn listed(app: &TestApp, seller: &str) -> (String, String) {
    let cookie = app.session(seller).await;
    let ticket = app.create_ticket(&cookie, &json!({ "title": "Concert", "price": 45.00 })).await;
    assert_eq!(ticket.status, 201);
    (cookie, ticket.body["id"].as_str().unwrap().to_owned())
}

/// `ticket` ordered and paid by a new buyer: (buyer's cookie, order id).
async fn bought(app: &TestApp, buyer: &str, ticket: &str) -> (String, String) {
    let cookie = app.session(buyer).await;
    let order = app.with_session(Method::POST, "/api/orders", &cookie, Some(&json!({ "ticketId": ticket }))).await;
    assert_eq!(order.status, 201, "{}", order.body);
    let order_id = order.body["id"].as_str().unwrap().to_owned();
    let paid = app
        .with_session(
            Method::POST,
            "/api/payments",
            &cookie,
            Some(&json!({ "orderId": order_id, "token": "pm_card_visa" })),
        )
        .await;
    assert_eq!(paid.status, 201, "{}", paid.body);
    (cookie, order_id)
}

/// `path` as `cookie`, without following a redirect: the status and `Location`.
async fn download_link(app: &TestApp, cookie: &str, path: &str) -> (u16, Option<String>) {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = client.get(app.url(path)).header("cookie", cookie).send().await.unwrap();
    let location = response.headers().get("location").map(|value| value.to_str().unwrap().to_owned());
    (response.status().as_u16(), location)
}

/// What following `path`'s redirect downloads.
async fn downloaded(app: &TestApp, cookie: &str, path: &str) -> (String, Vec<u8>) {
    let (status, location) = download_link(app, cookie, path).await;
    assert_eq!(status, 303, "{path}");
    let response = reqwest::get(location.unwrap()).await.unwrap();
    assert_eq!(response.status(), 200);
    let disposition = response.headers()["content-disposition"].to_str().unwrap().to_owned();
    (disposition, response.bytes().await.unwrap().to_vec())
}

async fn ticket_as(app: &TestApp, cookie: &str, ticket: &str) -> Value {
    app.with_session(Method::GET, &format!("/api/tickets/{ticket}"), cookie, None).await.body
}

async fn seller_payout(app: &TestApp, seller: &str) -> Value {
    let payouts = app.with_session(Method::GET, "/api/payouts", seller, None).await.body;
    let [payout] = payouts.as_array().unwrap().as_slice() else { panic!("one payout: {payouts}") };
    payout.clone()
}

async fn notification_kinds(app: &TestApp, cookie: &str) -> Vec<String> {
    let reply = app.with_session(Method::GET, "/api/notifications", cookie, None).await;
    reply.body.as_array().unwrap().iter().map(|n| n["kind"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn the_buyer_downloads_the_sellers_very_file_once_paid_and_nobody_else_can() {
    let app = spawn_app().await;
    let (seller, ticket) = listed(&app, "seller@example.com").await;
    app.attach_pdf(&seller, &ticket).await;

    let file = json!({ "name": "ticket.pdf", "contentType": "application/pdf", "size": SAMPLE_PDF.len() });
    assert_eq!(ticket_as(&app, &seller, &ticket).await["file"], file, "the seller sees it");
    assert!(app.get(&format!("/api/tickets/{ticket}")).await.body.get("file").is_none(), "anyone else does not");
    let (disposition, bytes) = downloaded(&app, &seller, &format!("/api/tickets/{ticket}/file")).await;
    assert_eq!(
        (disposition.as_str(), bytes.as_slice()),
        ("attachment; filename=\"ticket.pdf\"; filename*=UTF-8''ticket.pdf", SAMPLE_PDF)
    );

    let buyer = app.session("buyer@example.com").await;
    let order = app.with_session(Method::POST, "/api/orders", &buyer, Some(&json!({ "ticketId": ticket }))).await;
    let order_id = order.body["id"].as_str().unwrap().to_owned();
    let before = download_link(&app, &buyer, &format!("/api/orders/{order_id}/file")).await;
    assert_eq!(before, (403, None), "not before the order is complete");
    assert!(ticket_as(&app, &buyer, &ticket).await.get("file").is_none());
    let paid = app
        .with_session(
            Method::POST,
            "/api/payments",
            &buyer,
            Some(&json!({ "orderId": order_id, "token": "pm_card_visa" })),
        )
        .await;
    assert_eq!(paid.status, 201);

    let (_, bytes) = downloaded(&app, &buyer, &format!("/api/orders/{order_id}/file")).await;
    assert_eq!(bytes, SAMPLE_PDF, "the identical file");
    assert_eq!(ticket_as(&app, &buyer, &ticket).await["file"], file, "the buyer sees it");
    eventually("the ticket-ready note", || async {
        notification_kinds(&app, &buyer).await.contains(&"ticket.ready".to_owned()).then_some(())
    })
    .await;
    assert_eq!(seller_payout(&app, &seller).await["status"], "scheduled", "a delivered sale is paid out");

    let stranger = app.session("stranger@example.com").await;
    assert_eq!(download_link(&app, &stranger, &format!("/api/orders/{order_id}/file")).await.0, 403);
    assert_eq!(download_link(&app, &stranger, &format!("/api/tickets/{ticket}/file")).await.0, 403);
    assert_eq!(download_link(&app, &buyer, &format!("/api/tickets/{ticket}/file")).await.0, 403, "the seller's route");
    assert!(ticket_as(&app, &stranger, &ticket).await.get("file").is_none());
    let signed_out = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let status = signed_out.get(app.url(&format!("/api/orders/{order_id}/file"))).send().await.unwrap().status();
    assert_eq!(status, 401);

    let (replace, _) = app.upload_file(&seller, &ticket, "other.pdf", "application/pdf", SAMPLE_PDF).await;
    assert_eq!(replace.status, 409, "a sold ticket's file is final: {}", replace.body);
}

#[tokio::test]
async fn a_sale_without_a_file_holds_the_payout_until_the_file_arrives_and_then_tells_the_buyer() {
    let app = spawn_app().await;
    let (seller, ticket) = listed(&app, "seller@example.com").await;
    let (buyer, order_id) = bought(&app, "buyer@example.com", &ticket).await;

    let payout = seller_payout(&app, &seller).await;
    assert_eq!((payout["status"].as_str(), &payout["heldFor"]), (Some("held"), &json!(["awaiting_delivery"])));
    let early = app.with_session(Method::GET, &format!("/api/orders/{order_id}/file"), &buyer, None).await;
    assert_eq!((early.status, early.messages()), (404, vec!["The seller has not uploaded the ticket yet"]));
    assert_eq!(ticket_as(&app, &seller, &ticket).await["file"], Value::Null, "none yet, and the seller is told");
    assert!(!notification_kinds(&app, &buyer).await.contains(&"ticket.ready".to_owned()));
    let page = app.with_session(Method::GET, &format!("/api/orders/{order_id}"), &buyer, None).await.body;
    assert_eq!(
        (page["status"].as_str(), &page["file"]),
        (Some("complete"), &Value::Null),
        "the order's page: none yet"
    );

    app.attach_pdf(&seller, &ticket).await;
    let page = app.with_session(Method::GET, &format!("/api/orders/{order_id}"), &buyer, None).await.body;
    assert_eq!(
        page["file"],
        ticket_as(&app, &buyer, &ticket).await["file"],
        "the order's page shows what the ticket does"
    );
    assert_eq!(page["file"]["size"], SAMPLE_PDF.len());
    let payout = seller_payout(&app, &seller).await;
    assert_eq!((payout["status"].as_str(), &payout["heldFor"]), (Some("scheduled"), &json!([])), "{payout}");
    let (_, bytes) = downloaded(&app, &buyer, &format!("/api/orders/{order_id}/file")).await;
    assert_eq!(bytes, SAMPLE_PDF);
    eventually("the ticket-ready note", || async {
        notification_kinds(&app, &buyer).await.contains(&"ticket.ready".to_owned()).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_file_of_another_type_or_over_5_mb_never_attaches() {
    let app = spawn_app().await;
    let (seller, ticket) = listed(&app, "seller@example.com").await;
    let ask = |body: Value| {
        let (app, seller, ticket) = (&app, &seller, &ticket);
        async move { app.with_session(Method::POST, &format!("/api/tickets/{ticket}/file"), seller, Some(&body)).await }
    };
    let gif = ask(json!({ "fileName": "t.gif", "contentType": "image/gif", "size": 10 })).await;
    assert_eq!((gif.status, gif.fields()), (400, vec![Some("contentType")]));
    let big = ask(json!({ "fileName": "t.pdf", "contentType": "application/pdf", "size": 5 * 1024 * 1024 + 1 })).await;
    assert_eq!((big.status, big.fields()), (400, vec![Some("size")]));
    let bad: Reply = ask(json!({ "fileName": "dir/", "contentType": "application/pdf", "size": -1 })).await;
    assert_eq!((bad.status, bad.fields()), (400, vec![Some("fileName"), Some("size")]));

    // PNG bytes declared a PDF: stored, then deleted by the check.
    let png = b"\x89PNG\r\n\x1a\n-not-a-pdf-at-all";
    let (reply, put) = app.upload_file(&seller, &ticket, "t.pdf", "application/pdf", png).await;
    assert_eq!((reply.status, put), (201, Some(200)));
    assert_eq!(ticket_as(&app, &seller, &ticket).await["file"], Value::Null, "the check refused it");
    let key = reply.body["url"].as_str().unwrap().split("/_local/files/").nth(1).unwrap().split('?').next().unwrap();
    let stored = domain::ports::FileStore::head(&app.files, key, 8).await.unwrap();
    assert_eq!(stored, None, "and deleted it");

    // Another size, type or key than signed: the storage refuses the bytes.
    let declared = json!({ "fileName": "t.pdf", "contentType": "application/pdf", "size": SAMPLE_PDF.len() });
    let upload = ask(declared).await;
    let (url, headers) = (upload.body["url"].as_str().unwrap(), &upload.body["headers"]);
    let put = |url: String, content_type: &'static str, bytes: &'static [u8]| {
        let request = app.client.put(url).header("content-type", content_type);
        let request = request.header("x-amz-tagging", headers["x-amz-tagging"].as_str().unwrap());
        async move { request.body(bytes).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(put(url.to_owned(), "application/pdf", &SAMPLE_PDF[1..]).await, 403, "another size");
    assert_eq!(put(url.to_owned(), "image/png", SAMPLE_PDF).await, 403, "another type");
    assert_eq!(
        put(url.replacen("/tickets/", "/tickets/x", 1), "application/pdf", SAMPLE_PDF).await,
        403,
        "another key"
    );
    assert_eq!(ticket_as(&app, &seller, &ticket).await["file"], Value::Null);
    assert_eq!(put(url.to_owned(), "application/pdf", SAMPLE_PDF).await, 200, "exactly as signed");
    assert_eq!(ticket_as(&app, &seller, &ticket).await["file"]["size"], SAMPLE_PDF.len());
}

#[tokio::test]
async fn a_refunded_buyer_loses_access_to_the_file() {
    let app = spawn_app().await;
    let (seller, ticket) = listed(&app, "seller@example.com").await;
    app.attach_pdf(&seller, &ticket).await;
    let (buyer, order_id) = bought(&app, "buyer@example.com", &ticket).await;
    assert_eq!(download_link(&app, &buyer, &format!("/api/orders/{order_id}/file")).await.0, 303);

    let payments = app.with_session(Method::GET, &format!("/api/payments?orderId={order_id}"), &buyer, None).await;
    let intent = payments.body[0]["stripeId"].as_str().unwrap();
    assert_eq!(app.deliver_signed(&charge_refunded("evt_refund", intent, 4500)).await.status, 200);
    assert_eq!(download_link(&app, &buyer, &format!("/api/orders/{order_id}/file")).await.0, 403);
    assert!(ticket_as(&app, &buyer, &ticket).await.get("file").is_none(), "no longer shown to them");
    let page = app.with_session(Method::GET, &format!("/api/orders/{order_id}"), &buyer, None).await.body;
    assert_eq!(page["status"], "refunded");
    assert!(page.get("file").is_none(), "nor on the order's page: {page}");
    assert_eq!(
        download_link(&app, &seller, &format!("/api/tickets/{ticket}/file")).await.0,
        303,
        "the seller keeps it"
    );
}

#[tokio::test]
async fn an_upload_url_lasts_15_minutes_and_its_expiry_is_signed() {
    let app = spawn_app().await;
    let (seller, ticket) = listed(&app, "seller@example.com").await;
    let declared = json!({ "fileName": "t.pdf", "contentType": "application/pdf", "size": SAMPLE_PDF.len() });
    let upload = app.with_session(Method::POST, &format!("/api/tickets/{ticket}/file"), &seller, Some(&declared)).await;
    let url = upload.body["url"].as_str().unwrap();
    let expires: i64 = url.split("expires=").nth(1).unwrap().split('&').next().unwrap().parse().unwrap();
    assert!((850..=900).contains(&(expires - chrono::Utc::now().timestamp())), "valid 15 minutes");
    let earlier =
        url.replace(&format!("expires={expires}"), &format!("expires={}", chrono::Utc::now().timestamp() - 1));
    let tagging = upload.body["headers"]["x-amz-tagging"].as_str().unwrap();
    let put = app.client.put(earlier).header("content-type", "application/pdf").header("x-amz-tagging", tagging);
    assert_eq!(put.body(SAMPLE_PDF).send().await.unwrap().status(), 403, "an expiry other than signed");
}
