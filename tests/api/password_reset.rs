//! Password reset, as the domain runs it over the embedded store: a token is stored hashed,
//! works once and for thirty minutes, sets a password under sign-up's rules, and ends the
//! sessions issued before it. (Its routes and mail come with them; see the README.)

use chrono::Utc;
use domain::entities::{Email, Password, User};
use domain::password_reset;
use domain::ports::UserStore;
use domain::testing::NoThrottle;
use domain::tokens::INVALID_TOKEN;
use domain::users::{self, ClientAddress, Throttles};
use domain::{Error, FieldError};
use edge::passwords::Argon2Passwords;
use edge::secrets::RandomSecrets;
use embedded::EmbeddedStore;

/// ada@example.com's account, signed up on `store`.
pub(crate) async fn account(store: &EmbeddedStore) -> User {
    let password = Password::parse("correct horse battery").unwrap();
    users::sign_up(store, &Argon2Passwords, Email::parse("ada@example.com").unwrap(), password, Utc::now())
        .await
        .unwrap()
}

async fn signs_in(store: &EmbeddedStore, password: &str) -> bool {
    let credentials = (&Email::parse("ada@example.com").unwrap(), Password::candidate(password).unwrap());
    let from = ClientAddress::parse("203.0.113.7").unwrap();
    users::sign_in(store, &NoThrottle, &Argon2Passwords, credentials, &from, &Throttles::default(), Utc::now())
        .await
        .is_ok()
}

/// Whether `outcome` is the one refusal every bad token gets.
pub(crate) fn refused(outcome: domain::Result<()>) -> bool {
    matches!(outcome, Err(Error::Validation(fields)) if fields == [FieldError::new("token", INVALID_TOKEN)])
}

#[tokio::test]
async fn a_token_sets_the_new_password_once_and_ends_the_sessions_issued_before() {
    let store = EmbeddedStore::in_memory();
    let ada = account(&store).await;
    let token = password_reset::issue(&store, &RandomSecrets, &ada, Utc::now()).await.unwrap();
    let stored = store.find_by_email(&ada.email).await.unwrap().unwrap().reset_token.expect("stored");
    let secret = token.split_once('.').unwrap().1;
    assert!(token.starts_with(&format!("{}.", ada.id)));
    assert!(!stored.hash.contains(secret) && !secret.contains(&stored.hash), "only its hash is stored");

    let new = || Password::parse("a brand new passphrase").unwrap();
    password_reset::confirm(&store, &Argon2Passwords, &RandomSecrets, &token, new(), Utc::now()).await.unwrap();
    assert!(signs_in(&store, "a brand new passphrase").await);
    assert!(!signs_in(&store, "correct horse battery").await, "the old password no longer works");
    assert_eq!(store.find_by_email(&ada.email).await.unwrap().unwrap().session_generation, 1, "earlier sessions end");
    let again = password_reset::confirm(&store, &Argon2Passwords, &RandomSecrets, &token, new(), Utc::now()).await;
    assert!(refused(again), "once");
}

#[tokio::test]
async fn an_expired_replaced_or_made_up_token_is_refused_alike_and_changes_nothing() {
    let store = EmbeddedStore::in_memory();
    let ada = account(&store).await;
    let confirm = |token: String| {
        let store = store.clone();
        async move {
            let password = Password::parse("a brand new passphrase").unwrap();
            password_reset::confirm(&store, &Argon2Passwords, &RandomSecrets, &token, password, Utc::now()).await
        }
    };
    let long_ago = Utc::now() - password_reset::TOKEN_LIFETIME - chrono::Duration::seconds(1);
    let expired = password_reset::issue(&store, &RandomSecrets, &ada, long_ago).await.unwrap();
    assert!(refused(confirm(expired).await), "expired");
    let replaced = password_reset::issue(&store, &RandomSecrets, &ada, Utc::now()).await.unwrap();
    let current = password_reset::issue(&store, &RandomSecrets, &ada, Utc::now()).await.unwrap();
    assert!(refused(confirm(replaced).await), "replaced by a newer one");
    let secret = current.split_once('.').unwrap().1.to_owned();
    for made_up in [
        String::new(),
        "nothing".into(),
        format!("{}.", ada.id),
        format!(".{secret}"),
        format!("01UNKNOWN.{secret}"),
        format!("{}.{secret}x", ada.id),
    ] {
        assert!(refused(confirm(made_up.clone()).await), "{made_up:?}");
    }
    assert!(signs_in(&store, "correct horse battery").await, "the password is as it was");
    confirm(current).await.unwrap();
}

/// The token in the link of the newest reset mail to `to` at `/_local/mail`.
async fn mailed_token(app: &ticketing_tests::TestApp, to: &str) -> String {
    let mail = ticketing_tests::eventually("the reset's mail", || async {
        let mail = app.get("/_local/mail").await.body;
        mail.as_array()?.iter().find(|mail| mail["to"] == to && mail["subject"] == "Reset your password").cloned()
    })
    .await;
    let text = mail["text"].as_str().unwrap();
    let link = text.split_whitespace().find(|word| word.contains("/#/reset-password?token=")).expect("the link");
    assert!(link.starts_with(&app.address), "a link to the web client at the public origin: {link}");
    let token = link.split_once("token=").unwrap().1;
    // A user id, a dot and base64url: nothing a URL escapes.
    assert!(token.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)), "{token}");
    token.to_owned()
}

#[tokio::test]
async fn a_reset_is_answered_alike_for_any_address_and_mailed_only_to_an_account() {
    let app = ticketing_tests::spawn_app().await;
    app.signup("ada@example.com", "correct horse battery").await;
    let known = app.post_json("/api/users/password-reset", &serde_json::json!({ "email": "ada@example.com" })).await;
    let unknown =
        app.post_json("/api/users/password-reset", &serde_json::json!({ "email": "nobody@example.com" })).await;
    assert_eq!((known.status, &known.body), (202, &serde_json::json!({})));
    assert_eq!((unknown.status, &unknown.body), (known.status, &known.body), "the same answer");
    mailed_token(&app, "ada@example.com").await;
    let mail = app.get("/_local/mail").await.body;
    assert!(mail.as_array().unwrap().iter().all(|mail| mail["to"] != "nobody@example.com"), "{mail}");
    let malformed = app.post_json("/api/users/password-reset", &serde_json::json!({ "email": "not an address" })).await;
    assert_eq!(malformed.status, 400);
}

#[tokio::test]
async fn the_mails_link_sets_the_new_password_once_and_the_old_one_stops_working() {
    let app = ticketing_tests::spawn_app().await;
    let signed_up = app.signup("ada@example.com", "correct horse battery").await;
    let cookie = signed_up.session_cookie().unwrap();
    app.post_json("/api/users/password-reset", &serde_json::json!({ "email": "ada@example.com" })).await;
    let token = mailed_token(&app, "ada@example.com").await;

    let confirm = |password: &'static str| {
        let (app, token) = (app.clone(), token.clone());
        async move {
            let body = serde_json::json!({ "token": token, "password": password });
            app.post_json("/api/users/password-reset/confirm", &body).await
        }
    };
    let weak = confirm("short").await;
    assert_eq!((weak.status, weak.fields()), (400, vec![Some("password")]), "sign-up's rules");
    assert_eq!(confirm("a brand new passphrase").await.status, 204);
    assert_eq!(app.signin("ada@example.com", "correct horse battery").await.status, 401);
    assert_eq!(app.signin("ada@example.com", "a brand new passphrase").await.status, 200);
    let again = confirm("yet another passphrase").await;
    assert_eq!((again.status, again.fields()), (400, vec![Some("token")]), "a link works once");
    let payments = app.with_session(reqwest::Method::GET, "/api/payouts", &cookie, None).await;
    assert_eq!(payments.status, 401, "a session issued before the reset no longer stands");

    // The token went nowhere but the mail: not the notification, not the event.
    let secret = token.split_once('.').unwrap().1;
    let fresh = app.signin("ada@example.com", "a brand new passphrase").await.session_cookie().unwrap();
    let notices = app.with_session(reqwest::Method::GET, "/api/notifications", &fresh, None).await.body;
    assert_eq!(notices[0]["kind"], "account.password_reset");
    assert!(!notices.to_string().contains(secret), "{notices}");
}

#[tokio::test]
async fn resets_asked_for_one_address_are_throttled() {
    let app = ticketing_tests::spawn_app().await;
    let body = serde_json::json!({ "email": "ada@example.com" });
    let ask = || app.post_json("/api/users/password-reset", &body);
    for _ in 0..password_reset::REQUESTS_PER_EMAIL {
        assert_eq!(ask().await.status, 202);
    }
    let refused = ask().await;
    assert_eq!(refused.status, 429);
    assert!(refused.headers.get("retry-after").is_some());
}
