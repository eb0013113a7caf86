//! Mail: the notifications a person should read outside the web page, sent to the account's
//! address from the templates in `templates/` (a text part and an HTML part), with a link
//! into the web client at the configured public origin, never a request's `Host`.
//!
//! The provider keeps no idempotency key, so the notification's id is claimed in the inbox
//! before the mail is handed to it: a redelivered notification is not mailed again, and a
//! send that failed is retried. A sender that stops after the provider took the mail and
//! before the claim completed sends it again once the claim's lease has run out: each mail
//! is sent at least once, and twice only then. An address that bounced for good or
//! complained is not mailed again.

use chrono::{DateTime, Utc};

use crate::config::{ConfigError, Env, FromEnv};
use crate::email_verification;
use crate::entities::{Email, MailSuppression, Notification, SuppressionReason};
use crate::error::{Error, Result};
use crate::inbox;
use crate::password_reset;
use crate::payouts::PublicOrigin;
use crate::ports::{Inbox, Mail, Mailer, Secrets, UserStore};

/// The mail sender's inbox name.
pub const CONSUMER: &str = "mail";

const TEXT: &str = include_str!("../templates/mail.txt");
const HTML: &str = include_str!("../templates/mail.html");

/// What the sender needs to know: where the web client is, and whether a new reservation is
/// mailed (it costs about as much as the rest of a purchase: off unless asked for).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    pub origin: PublicOrigin,
    pub reservations: MailReservations,
}

impl FromEnv for MailSettings {
    /// `PUBLIC_ORIGIN`, and `MAIL_RESERVATIONS` (`true` or `false`, the default).
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self { origin: PublicOrigin::from_env(env)?, reservations: MailReservations::from_env(env)? })
    }
}

/// `MAIL_RESERVATIONS`: whether a new reservation is mailed (`true`; `false`, the default, when
/// unset). The notifications consumer hands a new reservation's notice to delivery only then.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MailReservations(pub bool);

impl FromEnv for MailReservations {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        match env.optional("MAIL_RESERVATIONS").as_deref() {
            None | Some("" | "false") => Ok(Self(false)),
            Some("true") => Ok(Self(true)),
            Some(other) => Err(ConfigError::Invalid {
                name: "MAIL_RESERVATIONS",
                reason: format!("`true` or `false`, not {other:?}"),
            }),
        }
    }
}

/// The kind of the notice of a new reservation: the one kind whose mail is optional.
pub const RESERVATION: &str = "reservation.created";

impl MailReservations {
    /// Whether a notification of `kind` goes to delivery (the outbound queue, which the mail
    /// sender reads): every kind but a new reservation's unless reservations are mailed.
    pub fn delivers(self, kind: &str) -> bool {
        kind != RESERVATION || self.0
    }
}

/// The subject and the link's words of each kind of notification that is mailed.
fn wording(kind: &str, settings: &MailSettings) -> Option<(&'static str, &'static str)> {
    if !settings.reservations.delivers(kind) {
        return None;
    }
    Some(match kind {
        RESERVATION => ("Your reservation", "Pay for your order"),
        "payment.receipt" => ("Your receipt", "See your order"),
        "payment.failed" => ("Your payment did not go through", "Pay with another card"),
        "reservation.expired" => ("Your reservation expired", "See your order"),
        "payment.refunded" => ("Your payment was refunded", "See your order"),
        "ticket.ready" => ("Your ticket is ready", "Download your ticket"),
        RESET => ("Reset your password", "Choose a new password"),
        VERIFY => ("Verify your e-mail address", "Verify your address"),
        PAYOUT_PAID => ("Your payout was sent", "See your payouts"),
        _ => return None,
    })
}

/// The kind of the notice that an account's owner asked for a password reset: its mail
/// carries the reset's link, with a token minted as it is sent.
pub const RESET: &str = "account.password_reset";

/// The kind of the notice that an account's address is to be verified: its mail carries the
/// verification's link, with a token minted as it is sent.
pub const VERIFY: &str = "account.verify_email";

/// The kind of the notice that a seller's payout was transferred: its mail links to the
/// seller's payouts page (the order is the buyer's).
pub const PAYOUT_PAID: &str = "payout.paid";

/// The mail `notification` calls for, to `to`; `None` for a kind that is not mailed. A
/// password reset and an e-mail verification link to the web client's page for them with
/// `token`; every other mail to its order.
pub fn compose(notification: &Notification, to: &Email, settings: &MailSettings, token: Option<&str>) -> Option<Mail> {
    let words = wording(&notification.kind, settings)?;
    Some(written(notification, to, &settings.origin, words, token))
}

/// The mail of `notification` in `words` (its subject, and its link's).
fn written(
    notification: &Notification,
    to: &Email,
    origin: &PublicOrigin,
    (subject, action): (&str, &str),
    token: Option<&str>,
) -> Mail {
    let link = match (notification.kind.as_str(), token) {
        (RESET, Some(token)) => origin.token_url("reset-password", token),
        (VERIFY, Some(token)) => origin.token_url("verify-email", token),
        (PAYOUT_PAID, _) => origin.return_url(),
        _ => origin.order_url(&notification.order_id),
    };
    let origin = origin.0.as_str();
    let values = [
        ("subject", subject),
        ("message", notification.message.as_str()),
        ("action", action),
        ("link", link.as_str()),
        ("origin", origin),
    ];
    Mail {
        id: notification.id.clone(),
        to: to.clone(),
        subject: subject.to_owned(),
        text: render(TEXT, &values, |value| value.to_owned()),
        html: render(HTML, &values, escape_html),
    }
}

/// `template` with each `{{name}}` replaced by its value, written by `write`, in one pass: a
/// value is never read as a template (a title that says `{{link}}` stays as it is).
fn render(template: &str, values: &[(&str, &str)], write: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        match values.iter().find(|(name, _)| *name == &after[..end]) {
            Some((_, value)) => out.push_str(&write(value)),
            None => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

fn escape_html(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// What became of a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    Mailed,
    /// A kind that is not mailed.
    NotMailed,
    /// The address is not mailed any more.
    Suppressed,
    /// Mailed already (a redelivery).
    Duplicate,
}

/// Mails what `notification` calls for to its user's address, once (see the module). A
/// password reset's or verification's token is minted inside the claim, as the mail is sent:
/// a retry mints another, which replaces it. An address verified meanwhile is not asked to
/// verify again.
pub async fn send(
    users: &impl UserStore,
    (mailer, secrets): (&impl Mailer, &impl Secrets),
    inbox: &impl Inbox,
    notification: &Notification,
    settings: &MailSettings,
    now: DateTime<Utc>,
) -> Result<Sent> {
    let Some(words) = wording(&notification.kind, settings) else { return Ok(Sent::NotMailed) };
    // Accounts are never deleted: one not found yet is an index that has not caught up, and
    // the delivery is retried.
    let Some(user) = users.find_by_id(&notification.user_id).await? else {
        return Err(Error::Internal(anyhow::anyhow!("no account {} to mail yet", notification.user_id)));
    };
    if notification.kind == VERIFY && user.email_verified() {
        return Ok(Sent::NotMailed);
    }
    if user.mail_suppressed.is_some() {
        tracing::info!(kind = %notification.kind, "not mailed: the address is suppressed");
        return Ok(Sent::Suppressed);
    }
    let sent = inbox::once(inbox, CONSUMER, &notification.id, now, || async {
        let token = match notification.kind.as_str() {
            RESET => Some(password_reset::issue(users, secrets, &user, now).await?),
            VERIFY => Some(email_verification::issue(users, secrets, &user, now).await?),
            _ => None,
        };
        mailer.send(&written(notification, &user.email, &settings.origin, words, token.as_deref())).await
    })
    .await?;
    Ok(match sent {
        Some(()) => {
            tracing::info!(kind = %notification.kind, "mailed");
            Sent::Mailed
        }
        None => Sent::Duplicate,
    })
}

/// The provider reported `address` (a permanent bounce, or a complaint): it is not mailed
/// again. Whether it is an account's.
pub async fn suppress(
    users: &impl UserStore,
    address: &Email,
    reason: SuppressionReason,
    now: DateTime<Utc>,
) -> Result<bool> {
    let found = users.suppress_mail(address, &MailSuppression { reason, at: now }).await?;
    tracing::info!(?reason, found, "address suppressed");
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;

    fn settings(reservations: bool) -> MailSettings {
        MailSettings {
            origin: PublicOrigin("https://tickets.example.com".to_owned()),
            reservations: MailReservations(reservations),
        }
    }

    fn notification(kind: &str, message: &str) -> Notification {
        Notification {
            id: "01EVENT".to_owned(),
            user_id: UserId::from("buyer"),
            kind: kind.to_owned(),
            message: message.to_owned(),
            order_id: "01ORDER".to_owned(),
            created_at: "2026-12-06T10:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn a_receipt_links_to_its_order_at_the_public_origin_in_both_parts() {
        let to = Email::parse("ada@example.com").unwrap();
        let mail =
            compose(&notification("payment.receipt", "We received 45.00 USD."), &to, &settings(false), None).unwrap();
        assert_eq!(
            (mail.id.as_str(), mail.to.as_str(), mail.subject.as_str()),
            ("01EVENT", "ada@example.com", "Your receipt")
        );
        assert!(
            mail.text
                .contains("We received 45.00 USD.\n\nSee your order: https://tickets.example.com/#/orders/01ORDER\n")
        );
        assert!(mail.html.contains(r#"<a href="https://tickets.example.com/#/orders/01ORDER""#), "{}", mail.html);
        assert!(!mail.text.contains("{{") && !mail.html.contains("{{"), "every placeholder is filled");
    }

    #[test]
    fn what_a_seller_wrote_is_escaped_in_html_and_never_read_as_a_placeholder() {
        let to = Email::parse("ada@example.com").unwrap();
        let message = "Your ticket for \"<b>Gig</b> {{link}}\" is ready";
        let mail = compose(&notification("ticket.ready", message), &to, &settings(false), None).unwrap();
        assert!(
            mail.html.contains("Your ticket for &quot;&lt;b&gt;Gig&lt;/b&gt; {{link}}&quot; is ready"),
            "{}",
            mail.html
        );
        assert!(mail.text.contains(message));
    }

    #[test]
    fn which_kinds_are_mailed() {
        let to = Email::parse("ada@example.com").unwrap();
        let mailed =
            |kind, reservations| compose(&notification(kind, "m"), &to, &settings(reservations), None).is_some();
        for kind in ["payment.receipt", "payment.failed", "reservation.expired", "payment.refunded", "ticket.ready"] {
            assert!(mailed(kind, false), "{kind}");
        }
        assert!(!mailed("reservation.created", false), "a reservation only when asked for");
        assert!(mailed("reservation.created", true));
        assert!(!mailed("order.cancelled", true), "the buyer cancelled it themselves");
    }

    #[test]
    fn reservations_are_mailed_only_when_the_setting_says_true() {
        let env = |value: Option<&'static str>| {
            Env::from_fn(move |name| match name {
                "PUBLIC_ORIGIN" => Some("https://tickets.example.com".to_owned()),
                "MAIL_RESERVATIONS" => value.map(str::to_owned),
                _ => None,
            })
        };
        assert!(!MailSettings::from_env(&env(None)).unwrap().reservations.0);
        assert!(MailSettings::from_env(&env(Some("true"))).unwrap().reservations.0);
        assert!(MailSettings::from_env(&env(Some("yes"))).is_err());
    }
}
