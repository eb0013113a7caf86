//! The auth routes, driven over HTTP against the local runner the way a client does.

use chrono::Utc;
use domain::entities::Email;
use domain::ids::UserId;
use edge::auth::{DEVELOPMENT_KEY_ID, SessionIssuer, generate_key_pair};
use ticketing_tests::{json, spawn_app};

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn signing_up_returns_201_the_account_and_a_session_cookie() {
    let app = spawn_app().await;
    let reply = app.signup("  Ada@Example.COM ", PASSWORD).await;

    assert_eq!(reply.status, 201);
    assert_eq!(reply.body["email"], "ada@example.com", "trimmed and lower-cased");
    assert!(reply.body["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert_eq!(reply.body.as_object().unwrap().len(), 2, "only id and email: {}", reply.body);
    let cookie = reply.set_cookie().expect("a session cookie");
    for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(cookie.split("; ").any(|part| part == attribute), "{attribute} missing from {cookie}");
    }
    let me = app.current_user(reply.session_cookie().as_deref()).await;
    assert_eq!(me.body["currentUser"]["id"], reply.body["id"]);
}

#[tokio::test]
async fn signing_up_reports_every_bad_field_at_once() {
    let app = spawn_app().await;
    let reply = app.signup("not-an-email", "short").await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.fields(), vec![Some("email"), Some("password")]);
    assert_eq!(reply.messages(), vec!["Email must be valid", "Password must be between 8 and 128 characters"]);
    assert!(reply.set_cookie().is_none());
}

#[tokio::test]
async fn signing_up_with_missing_or_mistyped_fields_returns_400_per_field() {
    let app = spawn_app().await;
    let missing = app.post_json("/api/users/signup", &json!({})).await;
    assert_eq!((missing.status, missing.fields()), (400, vec![Some("email"), Some("password")]));

    let mistyped = app.post_json("/api/users/signup", &json!({ "email": 42, "password": ["x"] })).await;
    assert_eq!(mistyped.status, 400);
    assert_eq!(mistyped.messages(), vec!["email must be a string", "password must be a string"]);

    let too_long = app.signup("ada@example.com", &"x".repeat(129)).await;
    assert_eq!((too_long.status, too_long.fields()), (400, vec![Some("password")]));
}

#[tokio::test]
async fn a_body_that_is_not_a_json_object_returns_400_without_a_field() {
    let app = spawn_app().await;
    for body in ["", "email=ada@example.com", "[]", "{\"email\":"] {
        let reply = app.post_raw("/api/users/signup", body).await;
        assert_eq!(reply.status, 400, "{body:?}");
        assert_eq!(reply.fields(), vec![None], "{body:?}: {}", reply.body);
    }
}

#[tokio::test]
async fn signing_up_with_an_email_in_use_in_any_case_returns_409() {
    let app = spawn_app().await;
    assert_eq!(app.signup("ada@example.com", PASSWORD).await.status, 201);
    let reply = app.signup("ADA@example.com", "another password").await;
    assert_eq!((reply.status, reply.messages()), (409, vec!["Email in use"]));
    assert_eq!(app.signin("ada@example.com", PASSWORD).await.status, 200, "the first account is untouched");
}

#[tokio::test]
async fn concurrent_sign_ups_with_one_email_create_one_account() {
    let app = spawn_app().await;
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let app = app.clone();
        racers.spawn(async move { app.signup("race@example.com", PASSWORD).await.status });
    }
    let mut statuses = racers.join_all().await;
    statuses.sort();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409, 409, 409]);
}

#[tokio::test]
async fn signing_in_returns_200_the_account_and_a_fresh_session() {
    let app = spawn_app().await;
    let account = app.signup("ada@example.com", PASSWORD).await;
    let reply = app.signin(" ADA@example.com", PASSWORD).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, account.body);
    let me = app.current_user(reply.session_cookie().as_deref()).await;
    assert_eq!(me.body["currentUser"]["email"], "ada@example.com");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_401() {
    let app = spawn_app().await;
    app.signup("ada@example.com", PASSWORD).await;
    let wrong_password = app.signin("ada@example.com", "incorrect horse").await;
    let unknown_email = app.signin("nobody@example.com", PASSWORD).await;
    assert_eq!(wrong_password.status, 401);
    assert_eq!(wrong_password.messages(), vec!["Invalid credentials"]);
    assert_eq!((unknown_email.status, &unknown_email.body), (wrong_password.status, &wrong_password.body));
    assert!(wrong_password.set_cookie().is_none());
}

#[tokio::test]
async fn signing_in_with_a_malformed_body_returns_400() {
    let app = spawn_app().await;
    let reply = app.post_json("/api/users/signin", &json!({ "email": "ada@example.com" })).await;
    assert_eq!((reply.status, reply.fields()), (400, vec![Some("password")]));
    let reply = app.post_json("/api/users/signin", &json!({ "email": "ada", "password": "" })).await;
    assert_eq!(reply.messages(), vec!["Email must be valid", "You must supply a password"]);
    assert_eq!(app.post_raw("/api/users/signin", "nope").await.status, 400);
}

#[tokio::test]
async fn no_response_carries_a_password_or_its_hash() {
    let app = spawn_app().await;
    let replies = [app.signup("ada@example.com", PASSWORD).await, app.signin("ada@example.com", PASSWORD).await];
    for reply in replies {
        let text = format!("{:?} {}", reply.headers, reply.body);
        assert!(!text.contains(PASSWORD) && !text.contains("argon2"), "{text}");
    }
}

#[tokio::test]
async fn the_current_user_comes_from_a_cookie_or_a_bearer_token() {
    let app = spawn_app().await;
    let reply = app.signup("ada@example.com", PASSWORD).await;
    let cookie = reply.session_cookie().unwrap();
    let token = cookie.strip_prefix("session=").unwrap();

    for me in [app.current_user(Some(&cookie)).await, app.current_user_bearer(token).await] {
        assert_eq!(me.status, 200);
        let user = &me.body["currentUser"];
        assert_eq!((&user["id"], &user["email"]), (&reply.body["id"], &reply.body["email"]));
        let (iat, exp) = (user["iat"].as_i64().unwrap(), user["exp"].as_i64().unwrap());
        assert_eq!(exp - iat, 3600, "one hour by default");
        assert!((iat - Utc::now().timestamp()).abs() < 60);
    }
}

#[tokio::test]
async fn without_a_session_the_current_user_is_null() {
    let app = spawn_app().await;
    let me = app.current_user(None).await;
    assert_eq!((me.status, me.body.clone()), (200, json!({ "currentUser": null })));
}

fn token_for(issuer: &SessionIssuer, issued: chrono::DateTime<Utc>) -> String {
    let session = domain::users::Session {
        user: UserId::from("01JSOMEONE"),
        email: Email::parse("someone@example.com").unwrap(),
        generation: 0,
    };
    issuer.issue(&session, issued).unwrap()
}

#[tokio::test]
async fn expired_foreign_tampered_and_unsigned_tokens_are_no_session() {
    let app = spawn_app().await;
    let ours = SessionIssuer::development(std::time::Duration::from_secs(3600));
    let valid = token_for(&ours, Utc::now());
    assert_eq!(app.current_user_bearer(&valid).await.body["currentUser"]["id"], "01JSOMEONE", "control");

    let expired = token_for(&ours, Utc::now() - chrono::Duration::hours(2));
    let (stranger, _) = generate_key_pair();
    let foreign = token_for(
        &SessionIssuer::new(DEVELOPMENT_KEY_ID, &stranger, std::time::Duration::from_secs(3600)).unwrap(),
        Utc::now(),
    );
    let (head, rest) = valid.split_once('.').unwrap();
    let (_, signature) = rest.split_once('.').unwrap();
    let forged_payload = format!(
        "{head}.{}.{signature}",
        encode(r#"{"sub":"01JADMIN","email":"admin@example.com","iat":0,"exp":4102444800}"#)
    );
    let unsigned = format!(
        "{}.{}.",
        encode(r#"{"alg":"none","typ":"JWT"}"#),
        encode(r#"{"sub":"01JADMIN","email":"admin@example.com","iat":0,"exp":4102444800}"#)
    );

    for (name, token) in
        [("expired", expired), ("foreign", foreign), ("forged", forged_payload), ("alg none", unsigned)]
    {
        let by_bearer = app.current_user_bearer(&token).await;
        let by_cookie = app.current_user(Some(&format!("session={token}"))).await;
        assert_eq!(by_bearer.body, json!({ "currentUser": null }), "{name} by bearer");
        assert_eq!(by_cookie.body, json!({ "currentUser": null }), "{name} by cookie");
    }
}

/// Unpadded base64url, to forge tokens by hand.
fn encode(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    text.as_bytes()
        .chunks(3)
        .flat_map(|chunk| {
            let n = chunk.iter().fold(0u32, |n, b| (n << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
            (0..=chunk.len()).map(move |i| ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char)
        })
        .collect()
}

#[tokio::test]
async fn signing_out_returns_200_and_clears_the_cookie() {
    let app = spawn_app().await;
    let reply = app.post_json("/api/users/signout", &json!({})).await;
    assert_eq!((reply.status, reply.body.clone()), (200, json!({})));
    let cleared = reply.set_cookie().expect("a clearing Set-Cookie");
    assert!(cleared.starts_with("session=;") && cleared.contains("Max-Age=0"), "{cleared}");
}

#[tokio::test]
async fn a_form_encoded_or_bodiless_sign_out_signs_nobody_out() {
    let app = spawn_app().await;
    let cookie = app.signup("ada@example.com", PASSWORD).await.session_cookie().unwrap();
    let form = app.client.post(app.url("/api/users/signout")).header("cookie", &cookie);
    let form = form.header("content-type", "application/x-www-form-urlencoded").body("");
    let bodiless = app.client.post(app.url("/api/users/signout")).header("cookie", &cookie);
    for request in [form, bodiless] {
        let reply = app.send(request).await;
        assert_eq!((reply.status, reply.set_cookie()), (415, None), "{}", reply.body);
    }
    assert!(app.current_user(Some(&cookie)).await.body["currentUser"]["id"].is_string(), "still signed in");
}

#[tokio::test]
async fn unknown_routes_are_404_and_known_paths_with_another_method_405_in_the_error_shape() {
    let app = spawn_app().await;
    let unknown = app.send(app.client.get(app.url("/api/nothing-here"))).await;
    assert_eq!((unknown.status, unknown.body.clone()), (404, json!({ "errors": [{ "message": "Not found" }] })));
    let wrong_method = app.send(app.client.get(app.url("/api/users/signup"))).await;
    assert_eq!((wrong_method.status, wrong_method.messages()), (405, vec!["Method not allowed"]));
    assert_eq!(wrong_method.headers["allow"], "POST");
    let ticket = app.send(app.client.patch(app.url("/api/tickets/01KB0SAMP1E0T1CKET0000000A"))).await;
    assert_eq!((ticket.status, &ticket.headers["allow"]), (405, &"GET, PUT, DELETE".parse().unwrap()));
}

#[tokio::test]
async fn an_authorization_header_that_does_not_verify_is_401_even_with_a_valid_session_cookie() {
    let app = spawn_app().await;
    let cookie = app.signup("ada@example.com", PASSWORD).await.session_cookie().unwrap();
    let with = |authorization: &str| {
        app.client.get(app.url("/api/orders")).header("cookie", &cookie).header("authorization", authorization)
    };
    assert_eq!(app.send(app.client.get(app.url("/api/orders")).header("cookie", &cookie)).await.status, 200, "control");
    for header in ["Basic Zm9vOmJhcg==", "Bearer", "Bearer not-a-token", "Token abc"] {
        let reply = app.send(with(header)).await;
        assert_eq!((reply.status, reply.messages()), (401, vec!["Not authorized"]), "{header}");
    }
    let me = app
        .send(
            app.client
                .get(app.url("/api/users/currentuser"))
                .header("cookie", &cookie)
                .header("authorization", "Basic x"),
        )
        .await;
    assert_eq!(me.body, json!({ "currentUser": null }), "nobody is signed in by it");
}

async fn payouts(app: &ticketing_tests::TestApp, cookie: &str) -> u16 {
    app.with_session(reqwest::Method::GET, "/api/payouts", cookie, None).await.status
}

async fn pay(app: &ticketing_tests::TestApp, cookie: &str) -> ticketing_tests::Reply {
    let body = json!({ "orderId": "01KB0SAMP1E00RDER000000000" });
    app.with_session(reqwest::Method::POST, "/api/payments", cookie, Some(&body)).await
}

async fn sign_out(app: &ticketing_tests::TestApp, cookie: &str, body: serde_json::Value) -> ticketing_tests::Reply {
    app.with_session(reqwest::Method::POST, "/api/users/signout", cookie, Some(&body)).await
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_on_the_routes_that_move_money_at_once() {
    let app = spawn_app().await;
    let phone = app.signup("ada@example.com", PASSWORD).await.session_cookie().unwrap();
    let laptop = app.signin("ada@example.com", PASSWORD).await.session_cookie().unwrap();
    assert_eq!((payouts(&app, &phone).await, pay(&app, &phone).await.status), (200, 404), "control");

    let bad = sign_out(&app, &laptop, json!({ "everywhere": 1 })).await;
    assert_eq!((bad.status, bad.fields()), (400, vec![Some("everywhere")]), "{}", bad.body);
    let out = sign_out(&app, &laptop, json!({ "everywhere": true })).await;
    assert_eq!(out.status, 200, "{}", out.body);
    assert!(out.set_cookie().is_some_and(|cookie| cookie.contains("Max-Age=0")), "the laptop's cookie is cleared");

    for ended in [&phone, &laptop] {
        let paid = pay(&app, ended).await;
        assert_eq!((payouts(&app, ended).await, paid.status), (401, 401), "{}", paid.body);
        assert_eq!(paid.messages(), vec!["Session ended; sign in again"]);
    }
    let again = sign_out(&app, &phone, json!({ "everywhere": true })).await;
    assert_eq!(again.status, 401, "an ended session cannot end the new ones");
    // The other routes trust a signed session until it expires (the guarantees table says so).
    assert!(app.current_user(Some(&phone)).await.body["currentUser"]["id"].is_string());

    let fresh = app.signin("ada@example.com", PASSWORD).await.session_cookie().unwrap();
    assert_eq!((payouts(&app, &fresh).await, pay(&app, &fresh).await.status), (200, 404), "a new sign-in works");
    let anonymous = app.post_json("/api/users/signout", &json!({ "everywhere": true })).await;
    assert_eq!(anonymous.status, 401, "signing out everywhere needs a session");
    assert_eq!(sign_out(&app, &fresh, json!({})).await.status, 200);
    assert_eq!(payouts(&app, &fresh).await, 200, "a plain sign-out ends no other session");
}
