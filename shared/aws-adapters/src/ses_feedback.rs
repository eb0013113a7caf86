//! What SES reports of the mail it could not deliver: the configuration set's event
//! destination publishes each bounce and complaint to an SNS topic, whose subscription invokes
//! the mail feedback function with an SNS event; each record's message is SES's event, JSON.
//! Only what marks an address as not to be mailed again is read: a permanent bounce's
//! recipients, and a complaint's. (No SDK: the handler library reads it without one.)

use domain::entities::{Email, SuppressionReason};
use domain::{Error, Result};
use serde::Deserialize;

/// The SNS event a subscription invokes a function with.
#[derive(Debug, Clone, Deserialize)]
pub struct SnsEvent {
    #[serde(rename = "Records")]
    pub records: Vec<SnsRecord>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SnsRecord {
    #[serde(rename = "Sns")]
    pub sns: SnsMessage,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SnsMessage {
    #[serde(rename = "Message")]
    pub message: String,
}

/// SES's event (`eventType` from a configuration set; `notificationType` from an identity's
/// own notifications, which carry the same fields).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesEvent {
    event_type: Option<String>,
    notification_type: Option<String>,
    bounce: Option<Bounce>,
    complaint: Option<Complaint>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bounce {
    bounce_type: String,
    bounced_recipients: Vec<Recipient>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Complaint {
    complained_recipients: Vec<Recipient>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Recipient {
    email_address: String,
}

/// The addresses `event` says are not to be mailed again, and why. A transient bounce (a full
/// mailbox, a server that was down) and SES's other events say nothing of the kind; an
/// address that is not one is skipped (and logged).
pub fn suppressions(event: &SnsEvent) -> Result<Vec<(Email, SuppressionReason)>> {
    let mut found = Vec::new();
    for record in &event.records {
        let ses: SesEvent = serde_json::from_str(&record.sns.message)
            .map_err(|e| Error::internal(e, "an SNS message that is not an SES event"))?;
        let kind = ses.event_type.or(ses.notification_type).unwrap_or_default();
        let recipients = match (kind.as_str(), ses.bounce, ses.complaint) {
            ("Bounce", Some(bounce), _) if bounce.bounce_type == "Permanent" => {
                bounce.bounced_recipients.into_iter().map(|r| (r, SuppressionReason::Bounce)).collect()
            }
            ("Complaint", _, Some(complaint)) => {
                complaint.complained_recipients.into_iter().map(|r| (r, SuppressionReason::Complaint)).collect()
            }
            _ => Vec::new(),
        };
        for (recipient, reason) in recipients {
            match Email::parse(&recipient.email_address) {
                Ok(email) => found.push((email, reason)),
                Err(_) => tracing::warn!(address = %recipient.email_address, "not an address; skipped"),
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(message: serde_json::Value) -> SnsEvent {
        SnsEvent { records: vec![SnsRecord { sns: SnsMessage { message: message.to_string() } }] }
    }

    #[test]
    fn a_permanent_bounce_and_a_complaint_suppress_their_recipients_and_nothing_else_does() {
        let bounce = |kind: &str| serde_json::json!({ "eventType": "Bounce", "bounce": { "bounceType": kind, "bouncedRecipients": [{ "emailAddress": "Gone@Example.com" }] } });
        let found = suppressions(&event(bounce("Permanent"))).unwrap();
        assert_eq!(found, [(Email::parse("gone@example.com").unwrap(), SuppressionReason::Bounce)]);
        assert!(suppressions(&event(bounce("Transient"))).unwrap().is_empty(), "a full mailbox is tried again");
        let complaint = serde_json::json!({ "notificationType": "Complaint", "complaint": { "complainedRecipients": [{ "emailAddress": "ada@example.com" }] } });
        let found = suppressions(&event(complaint)).unwrap();
        assert_eq!(found, [(Email::parse("ada@example.com").unwrap(), SuppressionReason::Complaint)]);
        let delivery =
            serde_json::json!({ "eventType": "Delivery", "delivery": { "recipients": ["ada@example.com"] } });
        assert!(suppressions(&event(delivery)).unwrap().is_empty());
        assert!(
            suppressions(&SnsEvent { records: vec![SnsRecord { sns: SnsMessage { message: "nope".into() } }] })
                .is_err()
        );
    }
}
