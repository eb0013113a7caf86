//! The order routes over HTTP against the local runner.

use reqwest::Method;
use serde_json::Value;
use ticketing_tests::{Reply, TestApp, json, spawn_app};

async fn ticket_of(app: &TestApp, seller: &str) -> (String, String) {
    let cookie = app.session(seller).await;
    let reply = app.create_ticket(&cookie, &json!({ "title": "Concert", "price": 45.00 })).await;
    assert_eq!(reply.status, 201);
    (cookie, reply.body["id"].as_str().unwrap().to_owned())
}

async fn order(app: &TestApp, cookie: &str, ticket_id: &str) -> Reply {
    app.with_session(Method::POST, "/api/orders", cookie, Some(&json!({ "ticketId": ticket_id }))).await
}

#[tokio::test]
async fn ordering_a_ticket_returns_201_and_reserves_it() {
    let app = spawn_app().await;
    let (_, ticket_id) = ticket_of(&app, "seller@example.com").await;
    let buyer = app.session("buyer@example.com").await;
    let buyer_id = app.current_user(Some(&buyer)).await.body["currentUser"]["id"].clone();

    let reply = order(&app, &buyer, &ticket_id).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let body = &reply.body;
    assert_eq!((&body["status"], &body["userId"], &body["version"]), (&json!("created"), &buyer_id, &json!(0)));
    assert_eq!(body["ticket"], json!({ "id": ticket_id, "title": "Concert", "price": 45.0, "currency": "usd" }));
    let expires = chrono::DateTime::parse_from_rfc3339(body["expiresAt"].as_str().unwrap()).unwrap();
    let minutes = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds() as f64 / 60.0;
    assert!((14.9..=15.0).contains(&minutes), "15 minutes by default, got {minutes}");
    // The answer is the order's page, as GET /api/orders/{id} answers: the next screen needs no request.
    let remaining = body["secondsRemaining"].as_i64().unwrap();
    assert!((895..=900).contains(&remaining), "{remaining}");
    assert_eq!(body["payments"], json!([]));
    assert!(body.get("file").is_none(), "an open order shows no file");
    let page =
        app.with_session(Method::GET, &format!("/api/orders/{}", body["id"].as_str().unwrap()), &buyer, None).await;
    let mut read = page.body.clone();
    let mut answered = body.clone();
    for reply in [&mut read, &mut answered] {
        reply.as_object_mut().unwrap().remove("secondsRemaining");
    }
    assert_eq!(read, answered, "the same fields and values but the seconds left");

    let ticket = app.get(&format!("/api/tickets/{ticket_id}")).await.body;
    assert_eq!((ticket["status"].as_str(), ticket["orderId"].as_str()), (Some("reserved"), body["id"].as_str()));
    assert_eq!(app.get("/api/tickets").await.body, json!([]), "a reserved ticket is not for sale");
}

#[tokio::test]
async fn ordering_needs_a_session_and_a_well_formed_body() {
    let app = spawn_app().await;
    let buyer = app.session("buyer@example.com").await;
    let signed_out = app.send(app.client.post(app.url("/api/orders")).json(&json!({ "ticketId": "x" }))).await;
    assert_eq!(signed_out.status, 401);
    for body in [json!({}), json!({ "ticketId": 42 }), json!({ "ticketId": "" })] {
        let reply = app.with_session(Method::POST, "/api/orders", &buyer, Some(&body)).await;
        assert_eq!((reply.status, reply.fields()), (400, vec![Some("ticketId")]), "{body}");
    }
    let unknown = order(&app, &buyer, "01KAAAAAAAAAAAAAAAAAAAAAAA").await;
    assert_eq!((unknown.status, unknown.messages()), (404, vec!["Ticket not found"]));
}

#[tokio::test]
async fn a_reserved_ticket_and_ones_own_ticket_cannot_be_ordered() {
    let app = spawn_app().await;
    let (seller, ticket_id) = ticket_of(&app, "seller@example.com").await;
    let own = order(&app, &seller, &ticket_id).await;
    assert_eq!((own.status, own.messages()), (409, vec!["You cannot order your own ticket"]));

    let first = app.session("first@example.com").await;
    let second = app.session("second@example.com").await;
    assert_eq!(order(&app, &first, &ticket_id).await.status, 201);
    let late = order(&app, &second, &ticket_id).await;
    assert_eq!((late.status, late.messages()), (409, vec!["Ticket is already reserved"]));
}

#[tokio::test]
async fn racing_buyers_get_one_201_and_the_rest_409() {
    let app = spawn_app().await;
    let (_, ticket_id) = ticket_of(&app, "seller@example.com").await;
    let mut buyers = Vec::new();
    for n in 0..6 {
        buyers.push(app.session(&format!("buyer{n}@example.com")).await);
    }
    let mut racers = tokio::task::JoinSet::new();
    for buyer in buyers {
        let (app, ticket_id) = (app.clone(), ticket_id.clone());
        racers.spawn(async move { order(&app, &buyer, &ticket_id).await.status });
    }
    let mut statuses = racers.join_all().await;
    statuses.sort();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409]);
}

#[tokio::test]
async fn a_reserved_ticket_cannot_be_edited_or_deleted_by_its_seller() {
    let app = spawn_app().await;
    let (seller, ticket_id) = ticket_of(&app, "seller@example.com").await;
    let buyer = app.session("buyer@example.com").await;
    assert_eq!(order(&app, &buyer, &ticket_id).await.status, 201);
    let path = format!("/api/tickets/{ticket_id}");
    let edit = app.with_session(Method::PUT, &path, &seller, Some(&json!({ "title": "x", "price": 1 }))).await;
    assert_eq!((edit.status, edit.messages()), (409, vec!["Cannot edit a reserved ticket"]));
    assert_eq!(app.with_session(Method::DELETE, &path, &seller, None).await.status, 409);
}

#[tokio::test]
async fn buyers_see_their_own_orders_only() {
    let app = spawn_app().await;
    let buyer = app.session("buyer@example.com").await;
    let other = app.session("other@example.com").await;
    let mut mine = Vec::new();
    for _ in 0..3 {
        let (_, ticket_id) = ticket_of(&app, &format!("seller{}@example.com", mine.len())).await;
        mine.push(order(&app, &buyer, &ticket_id).await.body["id"].as_str().unwrap().to_owned());
        tokio::time::sleep(std::time::Duration::from_millis(2)).await; // distinct ULID milliseconds
    }
    let page = app.with_session(Method::GET, "/api/orders?limit=2", &buyer, None).await;
    let ids: Vec<&str> = page.body.as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [mine[2].as_str(), mine[1].as_str()], "newest first");
    assert!(page.body[0]["ticket"]["title"].is_string(), "each with its ticket");
    let link = page.headers.get("link").expect("a next page").to_str().unwrap().to_owned();
    let next = link.trim_start_matches('<').split('>').next().unwrap();
    let rest = app.with_session(Method::GET, next, &buyer, None).await;
    assert_eq!(rest.body.as_array().unwrap().len(), 1);

    assert_eq!(app.with_session(Method::GET, "/api/orders", &other, None).await.body, json!([]));
    let path = format!("/api/orders/{}", mine[0]);
    assert_eq!(app.with_session(Method::GET, &path, &buyer, None).await.body["id"], json!(mine[0]));
    let theirs = app.with_session(Method::GET, &path, &other, None).await;
    assert_eq!((theirs.status, theirs.messages()), (403, vec!["You do not own this order"]));
    assert_eq!(app.with_session(Method::GET, "/api/orders/01KAAAAAAAAAAAAAAAAAAAAAAA", &buyer, None).await.status, 404);
    assert_eq!(app.send(app.client.get(app.url("/api/orders"))).await.status, 401);
}

#[tokio::test]
async fn cancelling_releases_the_ticket_at_once_and_repeats_harmlessly() {
    let app = spawn_app().await;
    let (_, ticket_id) = ticket_of(&app, "seller@example.com").await;
    let buyer = app.session("buyer@example.com").await;
    let other = app.session("other@example.com").await;
    let order_id = order(&app, &buyer, &ticket_id).await.body["id"].as_str().unwrap().to_owned();
    let path = format!("/api/orders/{order_id}");

    assert_eq!(app.with_session(Method::DELETE, &path, &other, None).await.status, 403);
    let cancelled = app.with_session(Method::DELETE, &path, &buyer, None).await;
    assert_eq!((cancelled.status, cancelled.body.clone()), (204, Value::Null));
    assert_eq!(app.with_session(Method::DELETE, &path, &buyer, None).await.status, 204, "again");

    let shown = app.with_session(Method::GET, &path, &buyer, None).await.body;
    assert_eq!((shown["status"].as_str(), shown["cancelReason"].as_str()), (Some("cancelled"), Some("user")));
    assert_eq!(app.get(&format!("/api/tickets/{ticket_id}")).await.body["status"], "available");
    assert_eq!(order(&app, &other, &ticket_id).await.status, 201, "the ticket is for sale again");
    assert_eq!(
        app.with_session(Method::DELETE, "/api/orders/01KAAAAAAAAAAAAAAAAAAAAAAA", &buyer, None).await.status,
        404
    );
}

#[tokio::test]
async fn the_expiration_route_tells_the_reservations_state() {
    let app = spawn_app().await;
    let (_, ticket_id) = ticket_of(&app, "seller@example.com").await;
    let buyer = app.session("buyer@example.com").await;
    let other = app.session("other@example.com").await;
    let placed = order(&app, &buyer, &ticket_id).await.body;
    let path = format!("/api/expiration/{}", placed["id"].as_str().unwrap());

    let state = app.with_session(Method::GET, &path, &buyer, None).await;
    assert_eq!(state.status, 200);
    assert_eq!(
        (&state.body["orderId"], &state.body["status"], &state.body["expiresAt"]),
        (&placed["id"], &json!("created"), &placed["expiresAt"])
    );
    let remaining = state.body["secondsRemaining"].as_i64().unwrap();
    assert!((890..=900).contains(&remaining), "{remaining}");
    assert_eq!(app.with_session(Method::GET, &path, &other, None).await.status, 403);
    assert_eq!(app.with_session(Method::GET, "/api/expiration/nope", &buyer, None).await.status, 404);

    app.with_session(Method::DELETE, &format!("/api/orders/{}", placed["id"].as_str().unwrap()), &buyer, None).await;
    let after = app.with_session(Method::GET, &path, &buyer, None).await.body;
    assert_eq!((after["status"].as_str(), after["secondsRemaining"].as_i64()), (Some("cancelled"), Some(0)));
}

#[tokio::test]
async fn once_its_event_has_taken_place_a_ticket_can_be_neither_ordered_nor_paid_for() {
    let app = spawn_app().await;
    let seller = app.session("seller@example.com").await;
    let soon = (chrono::Utc::now() + chrono::Duration::milliseconds(1500)).to_rfc3339();
    let mut ids = Vec::new();
    for title in ["Tonight", "Also tonight"] {
        let reply = app.create_ticket(&seller, &json!({ "title": title, "price": 10, "date": soon })).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        ids.push(reply.body["id"].as_str().unwrap().to_owned());
    }
    let buyer = app.session("buyer@example.com").await;
    let early = order(&app, &buyer, &ids[0]).await;
    assert_eq!(early.status, 201);
    assert_eq!(titles(&app.get("/api/tickets").await.body), ["Also tonight"], "the other is still for sale");

    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    assert_eq!(app.get("/api/tickets").await.body, json!([]), "past events leave the listing");
    let late = order(&app, &buyer, &ids[1]).await;
    assert_eq!((late.status, late.messages()), (409, vec!["This event has already taken place"]));
    let pay = json!({ "orderId": early.body["id"], "token": "pm_card_visa" });
    let paid = app.with_session(Method::POST, "/api/payments", &buyer, Some(&pay)).await;
    assert_eq!((paid.status, paid.messages()), (409, vec!["This event has already taken place"]));
}

fn titles(body: &Value) -> Vec<&str> {
    body.as_array().unwrap().iter().map(|ticket| ticket["title"].as_str().unwrap()).collect()
}

/// With the deployed default (a five-minute cool-down).
async fn with_the_deployed_cooldown() -> TestApp {
    let mut config = local::LocalConfig::for_tests();
    config.reorder_cooldown = domain::orders::ReorderCooldown::default();
    ticketing_tests::spawn_app_configured(config, Vec::new()).await
}

fn retry_after(reply: &Reply) -> u64 {
    reply.headers["retry-after"].to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_buyer_who_cancels_waits_before_ordering_the_same_ticket_again_and_nobody_else_does() {
    let app = with_the_deployed_cooldown().await;
    let (_, ticket_id) = ticket_of(&app, "seller@example.com").await;
    let hoarder = app.session("hoarder@example.com").await;
    let placed = order(&app, &hoarder, &ticket_id).await;
    let id = placed.body["id"].as_str().unwrap();
    assert_eq!(app.with_session(Method::DELETE, &format!("/api/orders/{id}"), &hoarder, None).await.status, 204);

    let again = order(&app, &hoarder, &ticket_id).await;
    assert_eq!((again.status, again.messages()), (429, vec![domain::orders::TOO_SOON_AGAIN]));
    assert!((295..=300).contains(&retry_after(&again)), "{:?}", again.headers);
    let other = app.session("other@example.com").await;
    assert_eq!(order(&app, &other, &ticket_id).await.status, 201, "the ticket is for sale to anyone else");
}
