//! E-mail verification: sign-up mails a link whose token verifies the address once (shown by
//! `currentuser`), a resend replaces it and is throttled, a token expires and is stored
//! hashed, and connecting a payout account is the one thing that asks for a verified
//! address (the course's client, which never verifies, is not held back by it).

use chrono::Utc;
use domain::email_verification;
use domain::entities::Password;
use domain::ports::UserStore;
use domain::tokens::INVALID_TOKEN;
use edge::secrets::RandomSecrets;
use embedded::EmbeddedStore;
use reqwest::Method;
use ticketing_tests::{TestApp, eventually, json, spawn_app};

use crate::password_reset::{account, refused};

async fn current_user(app: &TestApp, session: &str) -> serde_json::Value {
    app.with_session(Method::GET, "/api/users/currentuser", session, None).await.body["currentUser"].clone()
}

/// How many verification mails `to` has been sent.
async fn verification_mails(app: &TestApp, to: &str) -> usize {
    let mail = app.get("/_local/mail").await.body;
    mail.as_array()
        .unwrap()
        .iter()
        .filter(|mail| mail["to"] == to && mail["subject"] == "Verify your e-mail address")
        .count()
}

#[tokio::test]
async fn sign_up_mails_a_link_whose_token_verifies_the_address_once_and_currentuser_shows_it() {
    let app = spawn_app().await;
    let session = app.session("ada@example.com").await;
    let before = current_user(&app, &session).await;
    assert_eq!((&before["emailVerified"], &before["mailSuppressed"]), (&json!(false), &json!(false)), "{before}");
    assert_eq!(before["email"], "ada@example.com", "what the course's client reads is still there");

    let token = app.mailed_token("ada@example.com", "verify-email").await;
    let verified = app.post_json("/api/users/verify-email", &json!({ "token": token })).await;
    assert_eq!(verified.status, 204, "{}", verified.body);
    assert_eq!(current_user(&app, &session).await["emailVerified"], true);

    let again = app.post_json("/api/users/verify-email", &json!({ "token": token })).await;
    assert_eq!(again.status, 400, "once");
    assert_eq!(again.body, json!({ "errors": [{ "message": INVALID_TOKEN, "field": "token" }] }));
    let resend = app.with_session(Method::POST, "/api/users/verify-email/resend", &session, Some(&json!({}))).await;
    assert_eq!(
        (resend.status, resend.body["errors"][0]["message"].as_str()),
        (409, Some(email_verification::ALREADY_VERIFIED))
    );
}

#[tokio::test]
async fn a_resent_link_replaces_the_earlier_one_and_resends_are_throttled() {
    let app = spawn_app().await;
    let session = app.session("ada@example.com").await;
    let first = app.mailed_token("ada@example.com", "verify-email").await;
    let empty = json!({});
    let resend = || app.with_session(Method::POST, "/api/users/verify-email/resend", &session, Some(&empty));
    let asked = resend().await;
    assert_eq!((asked.status, &asked.body), (202, &json!({})));
    eventually("the second mail", || async { (verification_mails(&app, "ada@example.com").await == 2).then_some(()) })
        .await;
    let second = app.mailed_token("ada@example.com", "verify-email").await;
    assert_ne!(first, second);
    let replaced = app.post_json("/api/users/verify-email", &json!({ "token": first })).await;
    assert_eq!(replaced.status, 400, "the earlier link no longer works");

    for _ in 1..email_verification::RESENDS_PER_ACCOUNT {
        assert_eq!(resend().await.status, 202);
    }
    let refused = resend().await;
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert!(refused.headers.contains_key("retry-after"));
    let unsigned = app.post_json("/api/users/verify-email/resend", &json!({})).await;
    assert_eq!(unsigned.status, 401);
}

#[tokio::test]
async fn connecting_a_payout_account_is_the_one_thing_that_asks_for_a_verified_address() {
    let app = spawn_app().await;
    let seller = app.session("seller@example.com").await;
    // What the course's client does goes on unverified: listing a ticket, for one.
    let listed = app.create_ticket(&seller, &json!({ "title": "Concert", "price": 45 })).await;
    assert_eq!(listed.status, 201);
    let refused = app.with_session(Method::POST, "/api/payouts/account", &seller, Some(&json!({}))).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(refused.body["errors"][0]["message"], email_verification::NOT_VERIFIED);
    let account = app.with_session(Method::GET, "/api/payouts/account", &seller, None).await;
    assert_eq!(account.body["status"], "none", "no account was made");

    app.verify_email("seller@example.com", &seller).await;
    let link = app.with_session(Method::POST, "/api/payouts/account", &seller, Some(&json!({}))).await;
    assert_eq!(link.status, 201, "{}", link.body);
}

#[tokio::test]
async fn a_verification_token_is_stored_hashed_expires_and_a_made_up_one_is_refused_alike() {
    let store = EmbeddedStore::in_memory();
    let ada = account(&store).await;
    let long_ago = Utc::now() - email_verification::TOKEN_LIFETIME - chrono::Duration::seconds(1);
    let expired = email_verification::issue(&store, &RandomSecrets, &ada, long_ago).await.unwrap();
    assert!(refused(email_verification::confirm(&store, &RandomSecrets, &expired, Utc::now()).await), "expired");

    let token = email_verification::issue(&store, &RandomSecrets, &ada, Utc::now()).await.unwrap();
    let stored = store.find_by_email(&ada.email).await.unwrap().unwrap().verification_token.expect("stored");
    let secret = token.split_once('.').unwrap().1;
    assert!(!stored.hash.contains(secret) && !secret.contains(&stored.hash), "only its hash is stored");
    for made_up in
        [String::new(), format!("{}.", ada.id), format!("01UNKNOWN.{secret}"), format!("{}.{secret}x", ada.id)]
    {
        assert!(
            refused(email_verification::confirm(&store, &RandomSecrets, &made_up, Utc::now()).await),
            "{made_up:?}"
        );
    }
    let reset = domain::password_reset::confirm(
        &store,
        &edge::passwords::Argon2Passwords,
        &RandomSecrets,
        &token,
        Password::parse("a brand new passphrase").unwrap(),
        Utc::now(),
    )
    .await;
    assert!(refused(reset), "a verification's token is no reset's");
    assert!(!store.find_by_email(&ada.email).await.unwrap().unwrap().email_verified(), "nothing verified yet");
    email_verification::confirm(&store, &RandomSecrets, &token, Utc::now()).await.unwrap();
    assert!(store.find_by_email(&ada.email).await.unwrap().unwrap().email_verified());
}

#[tokio::test]
async fn currentuser_shows_what_the_account_says_of_its_address() {
    let store = EmbeddedStore::in_memory();
    let ada = account(&store).await;
    let token = edge::auth::SessionIssuer::development(std::time::Duration::from_secs(3600))
        .issue(&domain::users::Session::of(&ada), Utc::now())
        .unwrap();
    let current = || async {
        let request = lambda_http::http::Request::builder()
            .header("cookie", format!("session={token}"))
            .body(lambda_http::Body::Empty)
            .unwrap();
        let sessions = edge::auth::SessionVerifier::development();
        let response = users_currentuser::handle(&store, &sessions, request).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        let user = &body["currentUser"];
        (user["emailVerified"].as_bool().unwrap(), user["mailSuppressed"].as_bool().unwrap())
    };
    assert_eq!(current().await, (false, false));
    let bounced = domain::entities::SuppressionReason::Bounce;
    assert!(domain::mail::suppress(&store, &ada.email, bounced, Utc::now()).await.unwrap());
    assert_eq!(current().await, (false, true), "a bounced address shows");
    let token = email_verification::issue(&store, &RandomSecrets, &ada, Utc::now()).await.unwrap();
    email_verification::confirm(&store, &RandomSecrets, &token, Utc::now()).await.unwrap();
    assert_eq!(current().await, (true, true));
}
