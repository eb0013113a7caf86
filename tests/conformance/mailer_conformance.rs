//! One suite, every `Mailer`: the embedded mailbox the local runner shows at `/_local/mail`,
//! and SES (API v2) on moto server.

use ::embedded::EmbeddedStore;
use domain::entities::Email;
use domain::testing::mail::{self as suite, MailProbe};
use ticketing_tests::moto;

/// What the embedded store kept.
struct Mailbox(EmbeddedStore);

impl MailProbe for Mailbox {
    async fn sent_to(&self, to: &Email) -> Vec<(String, String)> {
        let sent = self.0.sent_mail().await.unwrap();
        sent.into_iter()
            .rev()
            .filter(|sent| sent.mail.to == *to)
            .map(|sent| (sent.mail.subject, sent.mail.html))
            .collect()
    }
}

/// What moto's SES recorded.
struct Ses;

impl MailProbe for Ses {
    async fn sent_to(&self, to: &Email) -> Vec<(String, String)> {
        moto::sent_mail(to.as_str()).await.into_iter().map(|sent| (sent.subject, sent.body)).collect()
    }
}

fn embedded() -> (EmbeddedStore, Mailbox) {
    let store = EmbeddedStore::in_memory();
    (store.clone(), Mailbox(store))
}

conformance!(
    embedded(embedded()),
    ses((moto::mailer().await.0, Ses));
    [a_mail_reaches_its_address_and_each_send_sends_one_more]
);

#[tokio::test]
async fn ses_sends_only_from_a_verified_identity() {
    let (mailer, from) = moto::mailer().await;
    let to = format!("{}@example.com", ticketing_tests::unique_name("buyer"));
    let mail = domain::ports::Mail {
        id: "01NOTIFICATION".to_owned(),
        to: Email::parse(&to).unwrap(),
        subject: "Your receipt".to_owned(),
        text: "text".to_owned(),
        html: "<p>html</p>".to_owned(),
    };
    domain::ports::Mailer::send(&mailer, &mail).await.unwrap();
    assert_eq!(moto::sent_mail(&to).await.iter().map(|sent| sent.from.as_str()).collect::<Vec<_>>(), [from.as_str()]);

    let client = moto::aws().await.sesv2();
    let unverified =
        aws_adapters::MailSender { from: "nobody@example.org".to_owned(), configuration_set: "set".to_owned() };
    let refused = domain::ports::Mailer::send(&aws_adapters::SesMailer::new(client, &unverified), &mail).await;
    assert!(refused.is_err(), "an unverified identity is refused: {refused:?}");
    assert_eq!(moto::sent_mail(&to).await.len(), 1, "and sends nothing");
}
