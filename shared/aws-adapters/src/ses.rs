//! SES (API v2): mail leaves from one verified identity through one configuration set,
//! whose event destination reports bounces and complaints to the mail feedback function.

use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message, MessageTag};
use domain::ports::{Mail, Mailer};
use domain::{Error, Result};

use crate::resources::MailSender;

#[derive(Clone)]
pub struct SesMailer {
    client: Client,
    sender: MailSender,
}

impl SesMailer {
    pub fn new(client: Client, sender: &MailSender) -> Self {
        Self { client, sender: sender.clone() }
    }
}

fn content(data: &str) -> Result<Content> {
    Content::builder().data(data).charset("UTF-8").build().map_err(|e| Error::internal(e, "a mail's content"))
}

impl Mailer for SesMailer {
    /// One `SendEmail`: SES takes no idempotency key, so every call may send a message.
    /// The mail is tagged with the notification it tells of, which SES's events repeat.
    async fn send(&self, mail: &Mail) -> Result<()> {
        let message = Message::builder()
            .subject(content(&mail.subject)?)
            .body(Body::builder().text(content(&mail.text)?).html(content(&mail.html)?).build())
            .build();
        let tag = MessageTag::builder()
            .name("notification")
            .value(&mail.id)
            .build()
            .map_err(|e| Error::internal(e, "a mail's tag"))?;
        self.client
            .send_email()
            .from_email_address(&self.sender.from)
            .destination(Destination::builder().to_addresses(mail.to.as_str()).build())
            .content(EmailContent::builder().simple(message).build())
            .configuration_set_name(&self.sender.configuration_set)
            .email_tags(tag)
            .send()
            .await
            .map_err(|e| Error::internal(e, "sending a mail"))?;
        Ok(())
    }
}
