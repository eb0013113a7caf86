//! The ticket routes over HTTP against the local runner.

use reqwest::Method;
use serde_json::Value;
use ticketing_tests::{TestApp, json, spawn_app};

fn concert() -> Value {
    json!({ "title": "Concert", "price": 19.99, "date": "2030-06-01T20:00:00Z", "venue": "Royal Albert Hall" })
}

async fn listed(app: &TestApp, cookie: &str, title: &str) -> Value {
    let reply = app.create_ticket(cookie, &json!({ "title": title, "price": 10 })).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body
}

fn titles(body: &Value) -> Vec<&str> {
    body.as_array().expect("an array").iter().map(|ticket| ticket["title"].as_str().unwrap()).collect()
}

/// The path and query of a `Link: <...>; rel="next"` header.
fn next_link(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let link = headers.get("link")?.to_str().ok()?;
    assert!(link.ends_with(r#">; rel="next""#), "{link}");
    Some(link.trim_start_matches('<').split('>').next()?.to_owned())
}

#[tokio::test]
async fn creating_a_ticket_returns_201_with_every_field() {
    let app = spawn_app().await;
    let cookie = app.session("seller@example.com").await;
    let me = app.current_user(Some(&cookie)).await.body["currentUser"]["id"].clone();

    let reply = app.create_ticket(&cookie, &concert()).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let ticket = &reply.body;
    assert_eq!(ticket["title"], "Concert");
    assert_eq!(ticket["price"].to_string(), "19.99", "a decimal amount, exactly");
    assert_eq!(ticket["currency"], "usd");
    assert_eq!(ticket["date"], "2030-06-01T20:00:00.000Z");
    assert_eq!(ticket["venue"], "Royal Albert Hall");
    assert_eq!(ticket["userId"], me);
    assert_eq!(ticket["status"], "available");
    assert_eq!(ticket["orderId"], Value::Null);
    assert_eq!(ticket["version"], 0);
    assert!(ticket["createdAt"].as_str().is_some_and(|at| at.ends_with('Z')));

    let fetched = app.get(&format!("/api/tickets/{}", ticket["id"].as_str().unwrap())).await;
    assert_eq!((fetched.status, &fetched.body), (200, ticket));
}

#[tokio::test]
async fn a_price_may_be_a_numeric_string_and_date_and_venue_are_optional() {
    let app = spawn_app().await;
    let cookie = app.session("seller@example.com").await;
    let reply = app.create_ticket(&cookie, &json!({ "title": "  Match ", "price": "999999.99" })).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!((reply.body["title"].as_str(), &reply.body["price"]), (Some("Match"), &json!(999_999.99)));
    assert_eq!((reply.body["date"].clone(), reply.body["venue"].clone()), (Value::Null, Value::Null));
}

#[tokio::test]
async fn a_price_is_read_exactly_as_written_whatever_the_notation() {
    let app = spawn_app().await;
    let cookie = app.session("seller@example.com").await;
    let with_price = |price: &str| format!(r#"{{"title":"x","price":{price}}}"#);
    for price in ["19.999999999999999", "1.9999e1", "1e6"] {
        let request = app.client.post(app.url("/api/tickets")).header("cookie", &cookie);
        let reply = app.send(request.header("content-type", "application/json").body(with_price(price))).await;
        assert_eq!((reply.status, reply.fields()), (400, vec![Some("price")]), "{price}");
    }
    let request = app.client.post(app.url("/api/tickets")).header("cookie", &cookie);
    let reply = app.send(request.header("content-type", "application/json").body(with_price("1e2"))).await;
    assert_eq!((reply.status, &reply.body["price"]), (201, &json!(100.0)), "exactly 100");
}

#[tokio::test]
async fn creating_a_ticket_reports_every_bad_field() {
    let app = spawn_app().await;
    let cookie = app.session("seller@example.com").await;
    let bad = json!({ "title": " ", "price": 10.001, "date": "2001-01-01T00:00:00Z", "venue": "v".repeat(201) });
    let reply = app.create_ticket(&cookie, &bad).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.fields(), vec![Some("title"), Some("price"), Some("date"), Some("venue")]);

    for (price, why) in [
        (json!(0), "zero"),
        (json!(-5), "negative"),
        (json!("1000000"), "above Stripe's highest charge"),
        (json!("ten"), "text"),
        (json!(true), "boolean"),
    ] {
        let reply = app.create_ticket(&cookie, &json!({ "title": "x", "price": price })).await;
        assert_eq!((reply.status, reply.fields()), (400, vec![Some("price")]), "{why}");
    }
    let missing = app.create_ticket(&cookie, &json!({})).await;
    assert_eq!((missing.status, missing.fields()), (400, vec![Some("title"), Some("price")]));
    assert_eq!(app.get("/api/tickets").await.body, json!([]), "nothing was stored");
}

#[tokio::test]
async fn ticket_writes_need_a_session() {
    let app = spawn_app().await;
    let cookie = app.session("seller@example.com").await;
    let id = listed(&app, &cookie, "Concert").await["id"].as_str().unwrap().to_owned();
    let path = format!("/api/tickets/{id}");

    let create = app.send(app.client.post(app.url("/api/tickets")).json(&concert())).await;
    let update = app.send(app.client.put(app.url(&path)).json(&concert())).await;
    let delete = app.send(app.client.delete(app.url(&path))).await;
    for reply in [create, update, delete] {
        assert_eq!((reply.status, reply.messages()), (401, vec!["Not authorized"]));
    }
}

#[tokio::test]
async fn unknown_and_malformed_ticket_ids_are_404() {
    let app = spawn_app().await;
    let cookie = app.session("seller@example.com").await;
    for id in ["01KAAAAAAAAAAAAAAAAAAAAAAA", "not-a-ticket-id", "42"] {
        let path = format!("/api/tickets/{id}");
        assert_eq!(app.get(&path).await.status, 404, "GET {id}");
        let update = app.with_session(Method::PUT, &path, &cookie, Some(&concert())).await;
        assert_eq!((update.status, update.messages()), (404, vec!["Ticket not found"]), "PUT {id}");
        assert_eq!(app.with_session(Method::DELETE, &path, &cookie, None).await.status, 404, "DELETE {id}");
    }
}

#[tokio::test]
async fn the_owner_updates_a_ticket_and_its_version_goes_up() {
    let app = spawn_app().await;
    let cookie = app.session("seller@example.com").await;
    let ticket = listed(&app, &cookie, "Concert").await;
    let path = format!("/api/tickets/{}", ticket["id"].as_str().unwrap());

    let changes = json!({ "title": "Concert (front row)", "price": 25.50, "venue": "Arena" });
    let reply = app.with_session(Method::PUT, &path, &cookie, Some(&changes)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["version"], 1);
    assert_eq!(reply.body["title"], "Concert (front row)");
    assert_eq!(reply.body["price"], json!(25.5));
    assert_eq!(
        (reply.body["id"].clone(), reply.body["createdAt"].clone()),
        (ticket["id"].clone(), ticket["createdAt"].clone())
    );
    assert_eq!(app.get(&path).await.body, reply.body);

    let invalid = app.with_session(Method::PUT, &path, &cookie, Some(&json!({ "title": "", "price": 1 }))).await;
    assert_eq!((invalid.status, invalid.fields()), (400, vec![Some("title")]));
    assert_eq!(app.get(&path).await.body["version"], 1, "a rejected update changes nothing");
}

#[tokio::test]
async fn another_user_can_neither_change_nor_delete_a_ticket() {
    let app = spawn_app().await;
    let owner = app.session("owner@example.com").await;
    let intruder = app.session("intruder@example.com").await;
    let ticket = listed(&app, &owner, "Concert").await;
    let path = format!("/api/tickets/{}", ticket["id"].as_str().unwrap());

    let update = app.with_session(Method::PUT, &path, &intruder, Some(&concert())).await;
    let delete = app.with_session(Method::DELETE, &path, &intruder, None).await;
    assert_eq!((update.status, update.messages()), (403, vec!["You do not own this ticket"]));
    assert_eq!(delete.status, 403);
    assert_eq!(app.get(&path).await.body, ticket, "the ticket is untouched");
}

#[tokio::test]
async fn the_owner_deletes_a_ticket_with_204() {
    let app = spawn_app().await;
    let cookie = app.session("seller@example.com").await;
    let ticket = listed(&app, &cookie, "Concert").await;
    let path = format!("/api/tickets/{}", ticket["id"].as_str().unwrap());

    let reply = app.with_session(Method::DELETE, &path, &cookie, None).await;
    assert_eq!((reply.status, reply.body.clone()), (204, Value::Null));
    assert_eq!(app.get(&path).await.status, 404);
    assert_eq!(app.with_session(Method::DELETE, &path, &cookie, None).await.status, 404);
}

#[tokio::test]
async fn concurrent_edits_of_one_ticket_never_overwrite_each_other_silently() {
    let app = spawn_app().await;
    let cookie = app.session("seller@example.com").await;
    let ticket = listed(&app, &cookie, "Concert").await;
    let path = format!("/api/tickets/{}", ticket["id"].as_str().unwrap());

    let mut editors = tokio::task::JoinSet::new();
    for n in 0..6 {
        let (app, cookie, path) = (app.clone(), cookie.clone(), path.clone());
        editors.spawn(async move {
            let edit = json!({ "title": format!("edit {n}"), "price": 10 });
            app.with_session(Method::PUT, &path, &cookie, Some(&edit)).await
        });
    }
    let replies = editors.join_all().await;
    let applied: Vec<&Value> = replies.iter().filter(|reply| reply.status == 200).map(|reply| &reply.body).collect();
    assert!(replies.iter().all(|reply| reply.status == 200 || reply.status == 409), "only 200 or 409");
    let stored = app.get(&path).await.body;
    assert_eq!(stored["version"].as_u64(), Some(applied.len() as u64), "each success is one version, none lost");
    assert!(applied.iter().any(|body| body["title"] == stored["title"] && body["version"] == stored["version"]));
}

#[tokio::test]
async fn the_listing_pages_newest_first_with_no_duplicate_and_no_gap() {
    let app = spawn_app().await;
    let cookie = app.session("seller@example.com").await;
    for n in 0..7 {
        listed(&app, &cookie, &format!("t{n}")).await;
        tokio::time::sleep(std::time::Duration::from_millis(2)).await; // distinct ULID milliseconds
    }
    let mut pages = Vec::new();
    let mut next = Some("/api/tickets?limit=3".to_owned());
    while let Some(path) = next {
        let reply = app.get(&path).await;
        assert_eq!(reply.status, 200);
        pages.push(titles(&reply.body).iter().map(|t| t.to_string()).collect::<Vec<_>>());
        next = next_link(&reply.headers);
    }
    assert_eq!(pages, [vec!["t6", "t5", "t4"], vec!["t3", "t2", "t1"], vec!["t0"]]);

    let default_page = app.get("/api/tickets").await;
    assert_eq!(titles(&default_page.body).len(), 7);
    assert!(default_page.headers.get("link").is_none(), "no next page after the last");
}

#[tokio::test]
async fn bad_paging_parameters_are_400() {
    let app = spawn_app().await;
    for query in ["limit=0", "limit=101", "limit=x", "cursor=not-ours"] {
        let reply = app.get(&format!("/api/tickets?{query}")).await;
        assert_eq!(reply.status, 400, "{query}");
        assert_eq!(reply.fields().len(), 1, "{query}");
    }
}

#[tokio::test]
async fn a_sellers_listing_shows_only_their_tickets() {
    let app = spawn_app().await;
    let ada = app.session("ada@example.com").await;
    let grace = app.session("grace@example.com").await;
    let ada_id = app.current_user(Some(&ada)).await.body["currentUser"]["id"].as_str().unwrap().to_owned();
    listed(&app, &ada, "ada 1").await;
    listed(&app, &grace, "grace 1").await;
    listed(&app, &ada, "ada 2").await;

    let first = app.get(&format!("/api/tickets?userId={ada_id}&limit=1")).await;
    assert_eq!(titles(&first.body), ["ada 2"]);
    let next = next_link(&first.headers).expect("a second page");
    assert!(next.contains(&format!("userId={ada_id}")), "the filter is kept: {next}");
    assert_eq!(titles(&app.get(&next).await.body), ["ada 1"]);
    assert_eq!(titles(&app.get("/api/tickets").await.body), ["ada 2", "grace 1", "ada 1"]);
}

#[tokio::test]
async fn with_the_deployed_default_a_seller_holds_at_most_200_open_listings() {
    let mut config = local::LocalConfig::for_tests();
    config.listing_cap = domain::tickets::ListingCap::default();
    let app = ticketing_tests::spawn_app_configured(config, Vec::new()).await;
    let seller = app.session("flooder@example.com").await;
    let mut last = Value::Null;
    for n in 0..200 {
        last = listed(&app, &seller, &format!("Ticket {n}")).await;
    }
    let refused = app.create_ticket(&seller, &json!({ "title": "One more", "price": 10 })).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!(
        refused.body["errors"][0]["message"],
        "You have as many tickets listed as a seller may: sell or remove some before listing more"
    );
    let other = app.session("other@example.com").await;
    listed(&app, &other, "Someone else's").await;
    // Removing one makes room for one.
    let path = format!("/api/tickets/{}", last["id"].as_str().unwrap());
    assert_eq!(app.with_session(Method::DELETE, &path, &seller, None).await.status, 204);
    listed(&app, &seller, "Room for one").await;
    assert_eq!(app.create_ticket(&seller, &json!({ "title": "And another", "price": 10 })).await.status, 409);
}
