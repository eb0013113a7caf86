//! Mail: a buyer's receipt reaches their address through the local runner (`/_local/mail`),
//! the mail sender mails each notification once under redelivery and after a crash between
//! its claim and the send, never mails a suppressed address, and runs the same on AWS (the
//! outbound queue, DynamoDB and SES on moto).

use std::sync::atomic::{AtomicUsize, Ordering};

use aws_adapters::{NotificationsQueue, SqsNotificationSender};
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use chrono::Utc;
use domain::entities::{Email, Notification, SuppressionReason};
use domain::ids::UserId;
use domain::mail::{MailReservations, MailSettings, Sent};
use domain::payouts::PublicOrigin;
use domain::ports::{Inbox, Mail, Mailer, NotificationSender, UserStore};
use edge::secrets::RandomSecrets;
use embedded::EmbeddedStore;
use reqwest::Method;
use ticketing_tests::{eventually, json, moto, spawn_app, unique_name};

fn settings() -> MailSettings {
    MailSettings {
        origin: PublicOrigin("https://tickets.example.com".to_owned()),
        reservations: MailReservations(false),
    }
}

/// An account, and a notification of `kind` for it.
async fn account(users: &impl UserStore, address: &str, kind: &str) -> (Email, Notification) {
    let email = Email::parse(address).unwrap();
    let password = domain::entities::Password::parse("correct horse battery").unwrap();
    let user = domain::users::sign_up(users, &edge::passwords::Argon2Passwords, email.clone(), password, Utc::now())
        .await
        .unwrap();
    let notification = Notification {
        id: ulid::Ulid::new().to_string(),
        user_id: user.id,
        kind: kind.to_owned(),
        message: "We received your payment of 45.00 USD. Your ticket is yours.".to_owned(),
        order_id: "01ORDER0000000000000000000".to_owned(),
        created_at: Utc::now(),
    };
    (email, notification)
}

/// Mails sent to `to` on the embedded store.
async fn mailed(store: &EmbeddedStore, to: &Email) -> Vec<Mail> {
    store.sent_mail().await.unwrap().into_iter().map(|sent| sent.mail).filter(|mail| mail.to == *to).collect()
}

#[tokio::test]
async fn a_buyers_receipt_is_mailed_to_them_and_shown_at_local_mail() {
    let app = spawn_app().await;
    let seller = app.session("seller@example.com").await;
    let ticket = app.create_ticket(&seller, &json!({ "title": "Concert", "price": 45 })).await.body;
    let buyer = app.session("buyer@example.com").await;
    let order = app.with_session(Method::POST, "/api/orders", &buyer, Some(&json!({ "ticketId": ticket["id"] }))).await;
    let order_id = order.body["id"].as_str().unwrap().to_owned();
    let paid = app
        .with_session(Method::POST, "/api/payments", &buyer, Some(&json!({ "orderId": order_id, "token": "tok_visa" })))
        .await;
    assert_eq!(paid.status, 201);

    // Besides the verification mails that signing up sent.
    let receipts = || async {
        let mail = app.get("/_local/mail").await.body;
        let mail = mail.as_array().unwrap().iter().filter(|mail| mail["subject"] != "Verify your e-mail address");
        mail.cloned().collect::<Vec<_>>()
    };
    let mail =
        eventually("the receipt's mail", || async { Some(receipts().await).filter(|mail| !mail.is_empty()) }).await;
    assert_eq!(mail.len(), 1, "the receipt only: a new reservation is not mailed by default: {mail:?}");
    let receipt = &mail[0];
    assert_eq!(
        (receipt["to"].as_str(), receipt["subject"].as_str()),
        (Some("buyer@example.com"), Some("Your receipt"))
    );
    let link = format!("{}/#/orders/{order_id}", app.address);
    for part in ["text", "html"] {
        let body = receipt[part].as_str().unwrap();
        assert!(body.contains(&link) && body.contains("45.00 USD"), "{part}: {body}");
    }
    assert!(receipt["sentAt"].as_str().is_some_and(|at| at.ends_with('Z')), "{receipt}");
    let page = app.client.get(app.url("/_local/mailbox")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("fetch(\"/_local/mail\")"), "the page that lists them: {page}");
    assert_eq!(receipts().await.len(), 1, "nothing more is sent");
}

#[tokio::test]
async fn each_kind_is_mailed_once_however_often_it_is_delivered_and_others_not_at_all() {
    let store = EmbeddedStore::in_memory();
    let kinds = ["payment.receipt", "payment.failed", "reservation.expired", "payment.refunded", "ticket.ready"];
    let accounts = [domain::mail::RESET, domain::mail::VERIFY, domain::mail::PAYOUT_PAID];
    for (n, kind) in kinds.iter().chain(&accounts).enumerate() {
        let (email, notification) = account(&store, &format!("buyer{n}@example.com"), kind).await;
        for _ in 0..3 {
            mail_send::handle(&store, (&store, &RandomSecrets), &store, &settings(), notification.clone())
                .await
                .unwrap();
        }
        assert_eq!(mailed(&store, &email).await.len(), 1, "{kind}: once");
    }
    for (n, kind) in ["reservation.created", "order.cancelled", "payment.disputed"].iter().enumerate() {
        let (email, notification) = account(&store, &format!("other{n}@example.com"), kind).await;
        mail_send::handle(&store, (&store, &RandomSecrets), &store, &settings(), notification).await.unwrap();
        assert!(mailed(&store, &email).await.is_empty(), "{kind}: not mailed");
    }
    let (email, notification) = account(&store, "reserved@example.com", "reservation.created").await;
    let reservations = MailSettings { reservations: MailReservations(true), ..settings() };
    mail_send::handle(&store, (&store, &RandomSecrets), &store, &reservations, notification).await.unwrap();
    assert_eq!(mailed(&store, &email).await.len(), 1, "a new reservation, when the setting asks for it");
}

/// A mailer that fails its first `failures` sends, as SES does when it throttles.
struct Flaky {
    inner: EmbeddedStore,
    failures: AtomicUsize,
}

impl Mailer for Flaky {
    async fn send(&self, mail: &Mail) -> domain::Result<()> {
        if self.failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| left.checked_sub(1)).is_ok() {
            return Err(domain::Error::Internal(anyhow::anyhow!("throttled")));
        }
        Mailer::send(&self.inner, mail).await
    }
}

#[tokio::test]
async fn a_send_that_failed_or_crashed_after_its_claim_is_sent_once_by_the_retry() {
    let store = EmbeddedStore::in_memory();
    let flaky = Flaky { inner: store.clone(), failures: AtomicUsize::new(1) };
    let (email, notification) = account(&store, "ada@example.com", "payment.receipt").await;
    let failed = mail_send::handle(&store, (&flaky, &RandomSecrets), &store, &settings(), notification.clone()).await;
    assert!(failed.is_err(), "the failure is reported, so the queue redelivers");
    assert!(mailed(&store, &email).await.is_empty());
    mail_send::handle(&store, (&flaky, &RandomSecrets), &store, &settings(), notification.clone()).await.unwrap();
    mail_send::handle(&store, (&flaky, &RandomSecrets), &store, &settings(), notification).await.unwrap();
    assert_eq!(mailed(&store, &email).await.len(), 1, "sent by the retry, once");

    // A sender that stopped between its claim and the send: the claim's lease runs out.
    let (email, notification) = account(&store, "grace@example.com", "ticket.ready").await;
    let crashed_at = Utc::now() - chrono::Duration::minutes(5);
    store.claim(domain::mail::CONSUMER, &notification.id, crashed_at, crashed_at).await.unwrap();
    mail_send::handle(&store, (&store, &RandomSecrets), &store, &settings(), notification.clone()).await.unwrap();
    mail_send::handle(&store, (&store, &RandomSecrets), &store, &settings(), notification).await.unwrap();
    assert_eq!(mailed(&store, &email).await.len(), 1, "sent once the lease ran out, and only once");
}

#[tokio::test]
async fn a_suppressed_address_is_not_mailed() {
    let store = EmbeddedStore::in_memory();
    let (email, notification) = account(&store, "bounced@example.com", "payment.receipt").await;
    assert!(domain::mail::suppress(&store, &email, SuppressionReason::Bounce, Utc::now()).await.unwrap());
    let sent = domain::mail::send(&store, (&store, &RandomSecrets), &store, &notification, &settings(), Utc::now())
        .await
        .unwrap();
    assert_eq!(sent, Sent::Suppressed);
    assert!(mailed(&store, &email).await.is_empty());
    let (other, notification) = account(&store, "fine@example.com", "payment.receipt").await;
    mail_send::handle(&store, (&store, &RandomSecrets), &store, &settings(), notification).await.unwrap();
    assert_eq!(mailed(&store, &other).await.len(), 1, "another address still is");
}

#[tokio::test]
async fn on_aws_the_outbound_queues_notification_is_mailed_through_ses_once() {
    let (users, inbox) = (moto::user_store().await, moto::inbox().await);
    let (mailer, from) = moto::mailer().await;
    let queue_url = moto::fifo_queue("outbound").await;
    let sqs = aws_sdk_sqs::Client::new(&moto::sdk_config().await);
    let outbound = SqsNotificationSender::new(sqs, &NotificationsQueue(queue_url.clone()));
    let address = format!("{}@example.com", unique_name("buyer"));
    let (_, notification) = account(&users, &address, "payment.receipt").await;
    outbound.send(&notification).await.unwrap();
    let received = moto::receive(&queue_url, 1, 3).await;
    let mut message = SqsMessage::default();
    message.message_id = received[0].message_id.clone();
    message.body = received[0].body.clone();
    let mut batch = SqsEvent::default();
    batch.records = vec![message];

    let settings = settings();
    for _ in 0..2 {
        let response = edge::deliveries::handle_batch(batch.clone(), |notification: Notification| {
            mail_send::handle(&users, (&mailer, &RandomSecrets), &inbox, &settings, notification)
        })
        .await;
        assert!(response.batch_item_failures.is_empty(), "{response:?}");
    }
    let sent = moto::sent_mail(&address).await;
    assert_eq!(sent.len(), 1, "once, though delivered twice");
    assert_eq!((sent[0].from.as_str(), sent[0].subject.as_str()), (from.as_str(), "Your receipt"));
    assert!(
        sent[0].body.contains("https://tickets.example.com/#/orders/01ORDER0000000000000000000"),
        "{}",
        sent[0].body
    );

    // An account the index does not show (yet): reported failed, so the queue redelivers it.
    let stranger = Notification { id: ulid::Ulid::new().to_string(), user_id: UserId::from("unknown"), ..notification };
    let failed = mail_send::handle(&users, (&mailer, &RandomSecrets), &inbox, &settings, stranger).await;
    assert!(failed.is_err());
}

/// The feedback function's sample (SES's event as its SNS subscription delivers it).
fn feedback_sample(name: &str) -> aws_adapters::ses_feedback::SnsEvent {
    let path = ticketing_tests::repo_root().join("events/mail-feedback").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn ses_bounce_and_complaint_samples_suppress_the_address_and_it_is_not_mailed_again() {
    for (sample, reason) in
        [("bounce.json", SuppressionReason::Bounce), ("complaint.json", SuppressionReason::Complaint)]
    {
        let users = moto::user_store().await;
        let (email, notification) = account(&users, "ada@example.com", "payment.receipt").await;
        let (other, _) = account(&users, "grace@example.com", "payment.receipt").await;
        assert_eq!(mail_feedback::handle(&users, feedback_sample(sample)).await.unwrap(), 1, "{sample}");
        let suppressed = users.find_by_email(&email).await.unwrap().unwrap().mail_suppressed;
        assert_eq!(suppressed.map(|suppressed| suppressed.reason), Some(reason), "{sample}");
        assert!(users.find_by_email(&other).await.unwrap().unwrap().mail_suppressed.is_none(), "{sample}");
        assert_eq!(mail_feedback::handle(&users, feedback_sample(sample)).await.unwrap(), 1, "{sample}: repeatable");

        let (mailer, _) = moto::mailer().await;
        let inbox = moto::inbox().await;
        let sent =
            domain::mail::send(&users, (&mailer, &RandomSecrets), &inbox, &notification, &settings(), Utc::now())
                .await
                .unwrap();
        assert_eq!(sent, Sent::Suppressed, "{sample}");
    }
    let nobody = moto::user_store().await;
    assert_eq!(mail_feedback::handle(&nobody, feedback_sample("bounce.json")).await.unwrap(), 0, "no account, nothing");
}
