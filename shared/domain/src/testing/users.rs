//! Every `UserStore`: emails are unique (in any case), decided by the store atomically, and a
//! new account is stored with its events; an account is found by its id too, an address the
//! mail provider reported stays suppressed, and a token (a password reset's, an e-mail
//! verification's) is redeemed once, atomically, while it works.

use chrono::Utc;

use crate::entities::{
    Email, MailSuppression, Password, Redemption, StoredToken, SuppressionReason, TokenPurpose, User,
};
use crate::error::Error;
use crate::events::EventType;
use crate::ids::UserId;
use crate::ports::{PasswordHasher, UserStore};
use crate::users;

use super::{NoThrottle, OutboxProbe};

fn email(raw: &str) -> Email {
    Email::parse(raw).unwrap()
}

async fn sign_up(store: &impl UserStore, hasher: &impl PasswordHasher, raw_email: &str) -> crate::error::Result<User> {
    users::sign_up(store, hasher, email(raw_email), Password::parse("correct horse battery").unwrap(), Utc::now()).await
}

pub async fn a_stored_user_is_found_by_email_with_every_field(store: impl UserStore, hasher: impl PasswordHasher) {
    let user = sign_up(&store, &hasher, "ada@example.com").await.unwrap();
    let found = store.find_by_email(&email("ada@example.com")).await.unwrap().expect("stored user");
    assert_eq!((&found.id, &found.email, found.created_at), (&user.id, &user.email, user.created_at));
    let candidate = Password::candidate("correct horse battery").unwrap();
    let (from, throttles) = (users::ClientAddress::unknown(), users::Throttles::default());
    let offered = (&email("ADA@example.com"), candidate);
    let signed_in = users::sign_in(&store, &NoThrottle, &hasher, offered, &from, &throttles, Utc::now())
        .await
        .expect("the stored hash verifies the password");
    assert_eq!(signed_in.id, user.id);
}

pub async fn an_unknown_email_is_not_found(store: impl UserStore, hasher: impl PasswordHasher) {
    sign_up(&store, &hasher, "ada@example.com").await.unwrap();
    assert!(store.find_by_email(&email("grace@example.com")).await.unwrap().is_none());
}

pub async fn a_taken_email_is_a_conflict_and_the_first_account_is_kept(
    store: impl UserStore,
    hasher: impl PasswordHasher,
) {
    let first = sign_up(&store, &hasher, "ada@example.com").await.unwrap();
    let second = sign_up(&store, &hasher, "  ADA@Example.com ").await;
    assert!(matches!(second, Err(Error::Conflict("Email in use"))), "{second:?}");
    let kept = store.find_by_email(&email("ada@example.com")).await.unwrap().unwrap();
    assert_eq!(kept.id, first.id);
}

pub async fn distinct_emails_are_distinct_accounts(store: impl UserStore, hasher: impl PasswordHasher) {
    let ada = sign_up(&store, &hasher, "ada@example.com").await.unwrap();
    let grace = sign_up(&store, &hasher, "grace@example.com").await.unwrap();
    assert_ne!(ada.id, grace.id);
    assert_eq!(store.find_by_email(&email("grace@example.com")).await.unwrap().unwrap().id, grace.id);
}

pub async fn concurrent_sign_ups_with_one_email_let_exactly_one_through(
    store: impl UserStore + Clone + 'static,
    hasher: impl PasswordHasher + Clone + 'static,
) {
    const RACERS: usize = 8;
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..RACERS {
        let (store, hasher) = (store.clone(), hasher.clone());
        racers.spawn(async move { sign_up(&store, &hasher, "race@example.com").await });
    }
    let outcomes = racers.join_all().await;
    let winners: Vec<_> = outcomes.iter().filter_map(|outcome| outcome.as_ref().ok()).collect();
    let conflicts = outcomes.iter().filter(|outcome| matches!(outcome, Err(Error::Conflict(_)))).count();
    assert_eq!((winners.len(), conflicts), (1, RACERS - 1), "{outcomes:?}");
    let stored = store.find_by_email(&email("race@example.com")).await.unwrap().unwrap();
    assert_eq!(stored.id, winners[0].id, "the stored account is the winner's");
}

pub async fn ending_sessions_raises_the_generation_of_the_named_account_only(
    store: impl UserStore,
    hasher: impl PasswordHasher,
) {
    let ada = sign_up(&store, &hasher, "ada@example.com").await.unwrap();
    let grace = sign_up(&store, &hasher, "grace@example.com").await.unwrap();
    assert_eq!(ada.session_generation, 0);
    let session = users::Session::of(&ada);
    users::check_session(&store, &session).await.expect("a fresh session stands");

    assert_eq!(store.end_sessions(&ada.email, &ada.id).await.unwrap(), 1);
    assert_eq!(store.end_sessions(&ada.email, &ada.id).await.unwrap(), 2);
    let stored = store.find_by_email(&ada.email).await.unwrap().unwrap();
    assert_eq!((stored.session_generation, &stored.id, &stored.password_hash), (2, &ada.id, &ada.password_hash));
    let ended = users::check_session(&store, &session).await;
    assert!(matches!(ended, Err(Error::Unauthorized(_))), "{ended:?}");
    users::check_session(&store, &users::Session::of(&stored)).await.expect("a session of the new generation stands");
    users::check_session(&store, &users::Session::of(&grace)).await.expect("another account's sessions stand");

    let wrong_owner = store.end_sessions(&ada.email, &grace.id).await;
    assert!(matches!(wrong_owner, Err(Error::Unauthorized(_))), "{wrong_owner:?}");
    let unknown = store.end_sessions(&email("nobody@example.com"), &ada.id).await;
    assert!(matches!(unknown, Err(Error::Unauthorized(_))), "{unknown:?}");
    assert!(store.find_by_email(&email("nobody@example.com")).await.unwrap().is_none(), "nothing was created");
    assert_eq!(store.find_by_email(&ada.email).await.unwrap().unwrap().session_generation, 2);
    assert_eq!(store.find_by_email(&grace.email).await.unwrap().unwrap().session_generation, 0);
}

pub async fn concurrent_ends_of_sessions_each_count(
    store: impl UserStore + Clone + 'static,
    hasher: impl PasswordHasher,
) {
    const RACERS: u32 = 8;
    let ada = sign_up(&store, &hasher, "ada@example.com").await.unwrap();
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..RACERS {
        let (store, ada) = (store.clone(), ada.clone());
        racers.spawn(async move { store.end_sessions(&ada.email, &ada.id).await.unwrap() });
    }
    let mut generations = racers.join_all().await;
    generations.sort_unstable();
    assert_eq!(generations, (1..=RACERS).collect::<Vec<_>>(), "each call saw its own generation");
    assert_eq!(store.find_by_email(&ada.email).await.unwrap().unwrap().session_generation, RACERS);
}

pub async fn an_account_is_found_by_its_id_and_a_suppressed_address_stays_suppressed(
    store: impl UserStore,
    hasher: impl PasswordHasher,
) {
    let ada = sign_up(&store, &hasher, "ada@example.com").await.unwrap();
    let grace = sign_up(&store, &hasher, "grace@example.com").await.unwrap();
    let found = store.find_by_id(&ada.id).await.unwrap().expect("found by id");
    assert_eq!((found.id, found.email, found.mail_suppressed), (ada.id.clone(), ada.email.clone(), None));
    assert!(store.find_by_id(&UserId::from("nobody")).await.unwrap().is_none());

    let bounced = MailSuppression { reason: SuppressionReason::Bounce, at: Utc::now() };
    assert!(store.suppress_mail(&ada.email, &bounced).await.unwrap());
    let complained = MailSuppression { reason: SuppressionReason::Complaint, at: Utc::now() };
    assert!(store.suppress_mail(&ada.email, &complained).await.unwrap(), "again: still found");
    let suppressed = store.find_by_email(&ada.email).await.unwrap().unwrap().mail_suppressed;
    assert_eq!(suppressed.map(|s| s.reason), Some(SuppressionReason::Bounce), "the first reason is kept");
    assert!(store.find_by_id(&grace.id).await.unwrap().unwrap().mail_suppressed.is_none(), "that address only");
    assert!(!store.suppress_mail(&email("nobody@example.com"), &bounced).await.unwrap(), "no account");
    assert!(store.find_by_email(&email("nobody@example.com")).await.unwrap().is_none(), "and none made");
}

pub async fn a_reset_token_is_redeemed_once_while_it_works_and_ends_every_session(
    store: impl UserStore,
    hasher: impl PasswordHasher,
) {
    let ada = sign_up(&store, &hasher, "ada@example.com").await.unwrap();
    let now = Utc::now();
    let token = |hash: &str| StoredToken { hash: hash.to_owned(), expires_at: now + chrono::Duration::minutes(30) };
    let reset = TokenPurpose::PasswordReset;
    assert!(store.put_token(&ada.email, reset, &token("first")).await.unwrap());
    assert!(store.put_token(&ada.email, reset, &token("second")).await.unwrap(), "a newer one replaces it");
    let stored = store.find_by_email(&ada.email).await.unwrap().unwrap().reset_token;
    assert_eq!(
        stored.map(|token| (token.hash, token.expires_at.timestamp_millis())),
        Some(("second".to_owned(), (now + chrono::Duration::minutes(30)).timestamp_millis()))
    );

    let new_hash = hasher.hash(Password::parse("a brand new passphrase").unwrap()).await.unwrap();
    let redemption = Redemption::PasswordReset(new_hash.clone());
    let redeem = |hash: &'static str, at| store.redeem_token(&ada.email, &redemption, hash, at);
    assert!(!redeem("first", now).await.unwrap(), "the replaced token");
    assert!(!redeem("second", now + chrono::Duration::minutes(31)).await.unwrap(), "past its expiry");
    let before = store.find_by_email(&ada.email).await.unwrap().unwrap();
    assert_eq!(
        (before.password_hash.clone(), before.session_generation),
        (ada.password_hash.clone(), 0),
        "nothing changed"
    );

    assert!(redeem("second", now).await.unwrap());
    let after = store.find_by_email(&ada.email).await.unwrap().unwrap();
    assert_eq!(after.password_hash, new_hash);
    assert!(!after.email_verified(), "a reset verifies nothing");
    assert_eq!((after.session_generation, after.reset_token), (1, None), "sessions end, the token is gone");
    assert!(!redeem("second", now).await.unwrap(), "once");
    assert!(!store.put_token(&email("nobody@example.com"), reset, &token("x")).await.unwrap(), "no account");
    assert!(store.find_by_email(&email("nobody@example.com")).await.unwrap().is_none(), "and none made");
}

pub async fn a_verification_token_verifies_the_address_once_and_is_not_a_reset_token(
    store: impl UserStore,
    hasher: impl PasswordHasher,
) {
    let ada = sign_up(&store, &hasher, "ada@example.com").await.unwrap();
    let now = Utc::now();
    let token = |hash: &str| StoredToken { hash: hash.to_owned(), expires_at: now + chrono::Duration::hours(24) };
    assert!(store.put_token(&ada.email, TokenPurpose::PasswordReset, &token("reset")).await.unwrap());
    assert!(store.put_token(&ada.email, TokenPurpose::EmailVerification, &token("verify")).await.unwrap());
    let verify = |hash: &'static str, at| store.redeem_token(&ada.email, &Redemption::EmailVerification, hash, at);
    assert!(!verify("reset", now).await.unwrap(), "a reset's token verifies nothing");
    let new_hash = hasher.hash(Password::parse("a brand new passphrase").unwrap()).await.unwrap();
    let reset = store.redeem_token(&ada.email, &Redemption::PasswordReset(new_hash), "verify", now).await.unwrap();
    assert!(!reset, "a verification's token resets nothing");
    assert!(!verify("verify", now + chrono::Duration::hours(25)).await.unwrap(), "past its expiry");
    assert!(store.find_by_email(&ada.email).await.unwrap().unwrap().email_verified_at.is_none(), "not yet");

    assert!(verify("verify", now).await.unwrap());
    let after = store.find_by_email(&ada.email).await.unwrap().unwrap();
    assert_eq!(
        after.email_verified_at.map(|at| at.timestamp_millis()),
        Some(now.timestamp_millis()),
        "verified as of the redemption"
    );
    assert_eq!((after.verification_token, after.session_generation), (None, 0), "the token is gone, sessions stand");
    assert_eq!((after.password_hash, after.reset_token.map(|t| t.hash)), (ada.password_hash, Some("reset".to_owned())));
    assert!(!verify("verify", now).await.unwrap(), "once");
}

pub async fn a_new_account_is_stored_with_its_events_and_a_retried_insert_stores_them_once(
    (store, outbox): (impl UserStore, impl OutboxProbe),
    hasher: impl PasswordHasher,
) {
    let ada = sign_up(&store, &hasher, "ada@example.com").await.unwrap();
    let events = outbox.events().await;
    let asked: Vec<_> = events.iter().map(|event| (event.kind, event.data["userId"].clone())).collect();
    assert_eq!(asked, [(EventType::EmailVerificationRequested, serde_json::json!(ada.id.as_str()))]);
    store.insert(&ada, &events).await.expect("a retried insert that had committed is a success");
    assert_eq!(outbox.events().await, events, "its events stored once");
    let taken = sign_up(&store, &hasher, "ADA@example.com").await;
    assert!(matches!(taken, Err(Error::Conflict("Email in use"))), "{taken:?}");
    assert_eq!(outbox.events().await, events, "a refused account announces nothing");
}
