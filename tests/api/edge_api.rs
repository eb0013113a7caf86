//! The edge against abuse, over HTTP on the local runner: JSON bodies only and none over
//! 64 KiB, headers that keep responses out of caches and sniffers, sign-in throttling, a
//! cap on open reservations, and ids no store ever sees when they cannot be ours.

use reqwest::Method;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use serde_json::Value;
use ticketing_tests::{Reply, TestApp, json, spawn_app, spawn_app_configured};

const PASSWORD: &str = "correct horse battery";

fn one_error(reply: &Reply) -> &str {
    let errors = reply.body["errors"].as_array().unwrap_or_else(|| panic!("the error shape: {}", reply.body));
    assert_eq!(errors.len(), 1, "{}", reply.body);
    errors[0]["message"].as_str().unwrap()
}

#[tokio::test]
async fn a_body_must_be_json_and_at_most_64_kib() {
    let app = spawn_app().await;
    let credentials = r#"{"email":"ada@example.com","password":"correct horse battery"}"#;
    for content_type in
        [Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("multipart/form-data"), None]
    {
        let mut request = app.client.post(app.url("/api/users/signup")).body(credentials);
        if let Some(content_type) = content_type {
            request = request.header(CONTENT_TYPE, content_type);
        }
        let reply = app.send(request).await;
        assert_eq!(reply.status, 415, "{content_type:?}");
        assert_eq!(one_error(&reply), "Content-Type must be application/json");
    }
    // A cross-site form post cannot sign anyone in: the account was never created.
    assert_eq!(app.signin("ada@example.com", PASSWORD).await.status, 401);

    let padded = format!(r#"{{"email":"ada@example.com","password":"{}"}}"#, "x".repeat(64 * 1024));
    let request = app.client.post(app.url("/api/users/signup")).header(CONTENT_TYPE, "application/json");
    let reply = app.send(request.body(padded.clone())).await;
    assert_eq!((reply.status, one_error(&reply)), (413, "Request body is larger than 64 KiB"));
    let request = app.client.post(app.url("/api/payments/webhook")).header(CONTENT_TYPE, "application/json");
    let reply = app.send(request.header("stripe-signature", "t=1,v1=00").body(padded)).await;
    assert_eq!(reply.status, 413, "the webhook too");
    assert_eq!(app.signup("ada@example.com", PASSWORD).await.status, 201, "JSON, of any size up to the limit");
}

#[tokio::test]
async fn every_response_is_kept_from_sniffers_and_caches_but_the_configuration_everyone_shares() {
    let app = spawn_app().await;
    let seller = app.session("seller@example.com").await;
    let created = app.create_ticket(&seller, &json!({ "title": "Concert", "price": 45 })).await;
    let ticket = created.body["id"].as_str().unwrap().to_owned();
    let buyer = app.session("buyer@example.com").await;
    let order = app.with_session(Method::POST, "/api/orders", &buyer, Some(&json!({ "ticketId": ticket }))).await;
    let payment =
        app.with_session(Method::POST, "/api/payments", &buyer, Some(&json!({ "orderId": order.body["id"] }))).await;
    assert!(payment.body["clientSecret"].is_string(), "{}", payment.body);
    let replies = [
        ("a public listing", app.get("/api/tickets").await),
        ("a sign-up", app.signup("ada@example.com", PASSWORD).await),
        ("the signed-in user", app.current_user(Some(&buyer)).await),
        ("a client secret", payment),
        ("an error", app.get("/api/tickets/unknown").await),
        ("an unknown route", app.get("/nowhere").await),
    ];
    for (what, reply) in replies {
        assert_eq!(reply.headers.get("x-content-type-options").map(|v| v.to_str().unwrap()), Some("nosniff"), "{what}");
        assert_eq!(reply.headers.get(CACHE_CONTROL).map(|v| v.to_str().unwrap()), Some("no-store"), "{what}");
    }
    // But the client's configuration, the same for everyone: kept five minutes (CloudFront
    // answers it from its edge).
    let config = app.get("/api/config").await;
    assert_eq!(config.headers.get(CACHE_CONTROL).map(|v| v.to_str().unwrap()), Some("public, max-age=300"));
}

#[tokio::test]
async fn five_failed_sign_ins_for_an_email_lock_it_for_the_window_without_telling_whether_it_exists() {
    let app = spawn_app().await;
    assert_eq!(app.signup("ada@example.com", PASSWORD).await.status, 201);
    for email in ["ada@example.com", "nobody@example.com"] {
        for attempt in 1..=5 {
            let reply = app.signin(email, "wrong horse battery").await;
            assert_eq!((reply.status, one_error(&reply)), (401, "Invalid credentials"), "{email} #{attempt}");
        }
        for password in ["wrong horse battery", PASSWORD] {
            let reply = app.signin(email, password).await;
            assert_eq!(reply.status, 429, "{email}");
            assert_eq!(one_error(&reply), "Too many failed sign-ins for this email; try again later");
            let retry_after: u64 = reply.headers[RETRY_AFTER].to_str().unwrap().parse().unwrap();
            assert!((890..=900).contains(&retry_after), "{retry_after}");
            assert!(reply.session_cookie().is_none());
        }
    }
    assert_eq!(app.signin("grace@example.com", "wrong horse battery").await.status, 401, "other emails are not");
}

/// A sign-in as the distribution forwards it from a viewer at `viewer`, carrying `secret` in
/// its origin header.
async fn sign_in_via(app: &TestApp, secret: &str, viewer: &str, email: &str, password: &str) -> Reply {
    let request = app
        .client
        .post(app.url("/api/users/signin"))
        .header("x-origin-verify", secret)
        .header("cloudfront-viewer-address", viewer)
        .json(&json!({ "email": email, "password": password }));
    app.send(request).await
}

#[tokio::test]
async fn a_guesser_at_one_address_does_not_lock_the_owner_out_at_another() {
    let mut config = local::LocalConfig::for_tests();
    config.origin = edge::address::OriginSecret::new(Some(domain::config::Secret::new("behind-the-distribution")));
    let app = spawn_app_configured(config, Vec::new()).await;
    assert_eq!(app.signup("ada@example.com", PASSWORD).await.status, 201);
    let guesser = "198.51.100.66:51234";
    for attempt in 1..=5 {
        let reply = sign_in_via(&app, "behind-the-distribution", guesser, "ada@example.com", "wrong").await;
        assert_eq!(reply.status, 401, "#{attempt}");
    }
    let locked = sign_in_via(&app, "behind-the-distribution", guesser, "ada@example.com", PASSWORD).await;
    assert_eq!(locked.status, 429, "the guesser's address is locked, right password or not");
    let owner = sign_in_via(&app, "behind-the-distribution", "2001:db8::7:443", "ada@example.com", PASSWORD).await;
    assert_eq!(owner.status, 200, "the owner, elsewhere, signs in: {}", owner.body);

    // Without the distribution's secret, the viewer header is anyone's to write: ignored.
    for n in 1..=5 {
        let forged = sign_in_via(&app, "a-guess", &format!("192.0.2.{n}:1"), "grace@example.com", "wrong").await;
        assert_eq!(forged.status, 401);
    }
    let sixth = sign_in_via(&app, "a-guess", "192.0.2.99:1", "grace@example.com", "wrong").await;
    assert_eq!(sixth.status, 429, "all six came from the runner's peer address");
    let forwarded = app
        .client
        .post(app.url("/api/users/signin"))
        .header("x-forwarded-for", "192.0.2.123")
        .json(&json!({ "email": "grace@example.com", "password": "wrong" }));
    assert_eq!(app.send(forwarded).await.status, 429, "X-Forwarded-For is never read");
}

#[tokio::test]
async fn with_the_deployed_defaults_an_address_makes_ten_sign_ups_an_hour() {
    let mut config = local::LocalConfig::for_tests();
    config.throttles = domain::users::Throttles::default();
    let app = spawn_app_configured(config, Vec::new()).await;
    for n in 0..9 {
        assert_eq!(app.signup(&format!("user{n}@example.com"), PASSWORD).await.status, 201);
    }
    assert_eq!(app.signup("user0@example.com", PASSWORD).await.status, 409, "a taken email counts too");
    let eleventh = app.signup("late@example.com", PASSWORD).await;
    assert_eq!((eleventh.status, one_error(&eleventh)), (429, "Too many sign-ups from this address; try again later"));
    let retry_after: u64 = eleventh.headers[RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((3590..=3600).contains(&retry_after), "{retry_after}");
    assert!(eleventh.session_cookie().is_none());
    assert_eq!(app.signin("late@example.com", PASSWORD).await.status, 401, "no account was made");
    assert_eq!(app.signin("user1@example.com", PASSWORD).await.status, 200, "signing in is another limit");
}

async fn listed(app: &TestApp, seller: &str) -> String {
    let reply = app.create_ticket(seller, &json!({ "title": "Concert", "price": 45 })).await;
    reply.body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_buyer_holds_at_most_three_open_reservations() {
    let app = spawn_app().await;
    let seller = app.session("seller@example.com").await;
    let buyer = app.session("buyer@example.com").await;
    let mut orders = Vec::new();
    for _ in 0..3 {
        let ticket = listed(&app, &seller).await;
        let reply = app.with_session(Method::POST, "/api/orders", &buyer, Some(&json!({ "ticketId": ticket }))).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        orders.push(reply.body["id"].as_str().unwrap().to_owned());
    }
    let fourth = listed(&app, &seller).await;
    let order = |app: &TestApp, cookie: &str| {
        let body = json!({ "ticketId": fourth });
        let (app, cookie) = (app.clone(), cookie.to_owned());
        async move { app.with_session(Method::POST, "/api/orders", &cookie, Some(&body)).await }
    };
    let refused = order(&app, &buyer).await;
    assert_eq!(refused.status, 409);
    assert_eq!(one_error(&refused), "You hold as many reservations as you may: pay for or cancel one to order another");
    let ticket = app.get(&format!("/api/tickets/{fourth}")).await;
    assert_eq!(ticket.body["status"], "available", "nothing was reserved");

    let cancel = format!("/api/orders/{}", orders[0]);
    assert_eq!(app.with_session(Method::DELETE, &cancel, &buyer, None).await.status, 204);
    assert_eq!(order(&app, &buyer).await.status, 201, "a cancelled one no longer counts");
}

#[tokio::test]
async fn ids_cursors_and_query_values_longer_than_any_id_are_400() {
    let app = spawn_app().await;
    let buyer = app.session("buyer@example.com").await;
    let long = "A".repeat(3000);
    let get = |path: String| {
        let (app, buyer) = (app.clone(), buyer.clone());
        async move { app.with_session(Method::GET, &path, &buyer, None).await }
    };
    for path in [
        format!("/api/tickets/{long}"),
        format!("/api/orders/{long}"),
        format!("/api/expiration/{long}"),
        format!("/api/tickets?cursor={long}"),
        format!("/api/tickets?userId={long}"),
        format!("/api/orders?cursor={long}"),
        format!("/api/notifications?cursor={long}"),
        format!("/api/payments?orderId={long}"),
    ] {
        let reply = get(path.clone()).await;
        assert_eq!(reply.status, 400, "{}: {}", &path[..40], reply.body);
        assert!(!one_error(&reply).is_empty());
    }
    for (path, body) in
        [("/api/orders", json!({ "ticketId": long })), ("/api/payments", json!({ "orderId": long, "token": long }))]
    {
        let reply = app.with_session(Method::POST, path, &buyer, Some(&body)).await;
        assert_eq!(reply.status, 400, "{path}: {}", reply.body);
        let fields: Vec<Value> = reply.body["errors"].as_array().unwrap().iter().map(|e| e["field"].clone()).collect();
        assert!(!fields.is_empty());
    }
}
