//! Every `Mailer`: a mail reaches its address with its subject and HTML part, and every
//! send sends one more (the provider keeps no idempotency key: the sender claims first).

use std::future::Future;

use crate::entities::Email;
use crate::ports::{Mail, Mailer};

/// What a test reads of the mail a mailer sent.
pub trait MailProbe: Send + Sync {
    /// The mail sent to `to`: each one's subject and HTML part.
    fn sent_to(&self, to: &Email) -> impl Future<Output = Vec<(String, String)>> + Send;
}

pub async fn a_mail_reaches_its_address_and_each_send_sends_one_more((mailer, probe): (impl Mailer, impl MailProbe)) {
    let to = Email::parse(&format!("{}@example.com", ulid::Ulid::new().to_string().to_lowercase())).unwrap();
    let mail = Mail {
        id: "01NOTIFICATION".to_owned(),
        to: to.clone(),
        subject: "Your receipt".to_owned(),
        text: "We received your payment.".to_owned(),
        html: "<p>We received your payment.</p>".to_owned(),
    };
    assert!(probe.sent_to(&to).await.is_empty());
    mailer.send(&mail).await.unwrap();
    let sent = probe.sent_to(&to).await;
    assert_eq!(sent, [("Your receipt".to_owned(), "<p>We received your payment.</p>".to_owned())]);
    mailer.send(&mail).await.unwrap();
    assert_eq!(probe.sent_to(&to).await.len(), 2, "nothing deduplicates a mail sent again");
}
