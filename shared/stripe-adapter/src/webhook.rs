//! Stripe's webhook: the `Stripe-Signature` header is checked over the raw body
//! (`t=<unix time>,v1=<hex HMAC-SHA256 of "t.body" with the endpoint secret>`, any `v1`
//! may match, five minutes' tolerance), then the event is translated into a
//! [`GatewayEvent`]. (`async-stripe-webhook` verifies too, but only fused with a typed parse
//! of the whole object, which this service neither needs nor wants to break on.)

use std::collections::HashMap;

use aws_lc_rs::hmac;
use chrono::{DateTime, Utc};
use domain::config::Secret;
use domain::entities::{AccountEvent, AccountEventKind};
use domain::ids::OrderId;
use domain::money::Money;
use domain::payments::{GatewayEvent, GatewayEventKind};
use domain::{Error, Result};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// How far a signature's time may be from now.
pub const TOLERANCE_SECONDS: i64 = 300;
/// The largest body looked at: Stripe's events are a few kilobytes.
pub const MAX_BODY: usize = 64 * 1024;
/// The most `v1` signatures looked at: Stripe sends one per live secret (two while rolling).
pub const MAX_SIGNATURES: usize = 8;

/// A Stripe event, as far as this service reads it.
#[derive(Debug, Deserialize)]
struct StripeEvent {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    /// Unix seconds.
    created: i64,
    #[serde(default)]
    livemode: bool,
    /// The connected account an event of Connect's is about.
    #[serde(default)]
    account: Option<String>,
    data: StripeEventData,
}

#[derive(Debug, Deserialize)]
struct StripeEventData {
    object: serde_json::Value,
}

/// The fields of a PaymentIntent the payments service uses.
#[derive(Debug, Deserialize)]
struct IntentObject {
    id: String,
    #[serde(default)]
    amount: i64,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    metadata: HashMap<String, String>,
    #[serde(default)]
    last_payment_error: Option<PaymentError>,
}

#[derive(Debug, Deserialize)]
struct PaymentError {
    message: Option<String>,
}

/// The fields of a Charge the payments service uses.
#[derive(Debug, Deserialize)]
struct ChargeObject {
    payment_intent: Option<String>,
    amount: i64,
    amount_refunded: i64,
    /// Refunded in full.
    #[serde(default)]
    refunded: bool,
    #[serde(default)]
    refunds: Option<List<RefundObject>>,
}

/// The fields of a Refund whose state changed.
#[derive(Debug, Deserialize)]
struct RefundUpdate {
    id: String,
    payment_intent: Option<String>,
    status: String,
}

/// The fields of a Dispute the payments service uses.
#[derive(Debug, Deserialize)]
struct DisputeObject {
    id: String,
    payment_intent: Option<String>,
    /// `won`, `lost`, `warning_closed` (an inquiry closed with no money taken), or open ones.
    status: String,
}

#[derive(Debug, Deserialize)]
struct List<T> {
    data: Vec<T>,
}

#[derive(Debug, Deserialize)]
struct RefundObject {
    id: String,
}

/// A refused signature (missing, wrong or stale), logged once: the operations alarm counts
/// them (a rotated endpoint secret refuses every event).
fn refused(reason: &str) -> Error {
    tracing::warn!(reason, "refused a webhook signature");
    Error::BadRequest(reason.to_owned())
}

fn invalid() -> Error {
    refused("Invalid Stripe signature")
}

/// Verifies `header` over `payload` with `secret` at unix time `now`, then reads the event.
/// A body over [`MAX_BODY`], or a header with more than [`MAX_SIGNATURES`], is refused
/// before any HMAC is computed.
pub fn verify(payload: &[u8], header: Option<&str>, secret: &Secret, now: i64) -> Result<GatewayEvent> {
    verified(payload, header, secret, now).map(translate)
}

/// Verifies an event of the Connect endpoint (its own secret) as [`verify`] does, then reads
/// it as an account event.
pub fn verify_account_event(payload: &[u8], header: Option<&str>, secret: &Secret, now: i64) -> Result<AccountEvent> {
    verified(payload, header, secret, now).map(translate_account)
}

/// The fields of a connected Account the payouts service uses.
#[derive(Debug, Deserialize)]
struct AccountObject {
    id: String,
    #[serde(default)]
    payouts_enabled: bool,
}

/// The fields of a Transfer the payouts service logs.
#[derive(Debug, Deserialize)]
struct TransferObject {
    id: String,
}

/// What a verified Connect event says, in the domain's terms.
fn translate_account(event: StripeEvent) -> AccountEvent {
    let kind = match event.kind.as_str() {
        "account.updated" => object::<AccountObject>(&event)
            .map(|account| AccountEventKind::Updated { account: account.id, payouts_enabled: account.payouts_enabled }),
        // Its object is the platform's application; the account is the event's.
        "account.application.deauthorized" => {
            event.account.clone().map(|account| AccountEventKind::Deauthorized { account })
        }
        kind if kind.starts_with("transfer.") => object::<TransferObject>(&event)
            .map(|transfer| AccountEventKind::Transfer { transfer: transfer.id, kind: kind.to_owned() }),
        _ => None,
    };
    AccountEvent { kind: kind.unwrap_or(AccountEventKind::Other { kind: event.kind.clone() }), id: event.id }
}

fn verified(payload: &[u8], header: Option<&str>, secret: &Secret, now: i64) -> Result<StripeEvent> {
    let header = header.ok_or_else(|| refused("Missing Stripe-Signature header"))?;
    if payload.len() > MAX_BODY {
        return Err(Error::BadRequest("Webhook body is too large".to_owned()));
    }
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => {
                if signatures.len() == MAX_SIGNATURES {
                    return Err(invalid());
                }
                signatures.extend(domain::encoding::unhex(value));
            }
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or_else(invalid)?;
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.expose().as_bytes());
    let signed = [timestamp.to_string().as_bytes(), b".", payload].concat();
    if !signatures.iter().any(|signature| hmac::verify(&key, &signed, signature).is_ok()) {
        return Err(invalid());
    }
    if (now - timestamp).abs() > TOLERANCE_SECONDS {
        return Err(refused("Stripe signature is too old"));
    }
    serde_json::from_slice(payload).map_err(|_| Error::BadRequest("Webhook body is not a Stripe event".to_owned()))
}

/// An event as `GET /v1/events` lists it, in the domain's terms (`None`: not an event).
#[cfg(feature = "client")]
pub(crate) fn listed(json: &str) -> Option<GatewayEvent> {
    serde_json::from_str::<StripeEvent>(json).ok().map(translate)
}

/// What a verified Stripe event says, in the domain's terms.
fn translate(event: StripeEvent) -> GatewayEvent {
    let at = DateTime::from_timestamp(event.created, 0).unwrap_or_else(Utc::now);
    let kind = match event.kind.as_str() {
        "payment_intent.succeeded" => object::<IntentObject>(&event).and_then(|intent| {
            Some(GatewayEventKind::IntentSucceeded {
                order: order_of(&intent)?,
                intent: intent.id,
                amount: Money::from_minor(intent.amount),
                currency: intent.currency,
                livemode: event.livemode,
                at,
            })
        }),
        "payment_intent.payment_failed" => object::<IntentObject>(&event).and_then(|intent| {
            Some(GatewayEventKind::IntentFailed {
                order: order_of(&intent)?,
                message: intent.last_payment_error.and_then(|error| error.message),
                intent: intent.id,
            })
        }),
        "charge.refunded" => object::<ChargeObject>(&event).and_then(|charge| {
            let refund = charge.refunds.and_then(|refunds| refunds.data.into_iter().next()).map(|refund| refund.id);
            Some(GatewayEventKind::ChargeRefunded {
                intent: charge.payment_intent?,
                refund,
                amount_refunded: Money::from_minor(charge.amount_refunded),
                full: charge.refunded || charge.amount_refunded >= charge.amount,
            })
        }),
        "refund.failed" | "refund.updated" | "charge.refund.updated" => {
            object::<RefundUpdate>(&event).filter(|refund| refund.status == "failed").and_then(|refund| {
                Some(GatewayEventKind::RefundFailed { intent: refund.payment_intent?, refund: refund.id })
            })
        }
        "charge.dispute.created" => object::<DisputeObject>(&event).and_then(|dispute| {
            Some(GatewayEventKind::DisputeOpened { intent: dispute.payment_intent?, dispute: dispute.id })
        }),
        "charge.dispute.closed" => object::<DisputeObject>(&event).and_then(|dispute| {
            Some(GatewayEventKind::DisputeClosed {
                won: matches!(dispute.status.as_str(), "won" | "warning_closed"),
                intent: dispute.payment_intent?,
                dispute: dispute.id,
            })
        }),
        _ => None,
    };
    GatewayEvent { kind: kind.unwrap_or(GatewayEventKind::Other { kind: event.kind.clone() }), id: event.id }
}

fn object<T: DeserializeOwned>(event: &StripeEvent) -> Option<T> {
    serde_json::from_value(event.data.object.clone())
        .inspect_err(|error| tracing::warn!(%error, event_id = %event.id, "a Stripe event whose object does not read"))
        .ok()
}

/// Only intents this service created name one of its orders.
fn order_of(intent: &IntentObject) -> Option<OrderId> {
    intent.metadata.get("order_id").and_then(|id| OrderId::parse(id))
}

/// The `Stripe-Signature` header Stripe would send for `payload` at `timestamp`.
pub fn sign(payload: &[u8], secret: &Secret, timestamp: i64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.expose().as_bytes());
    let tag = hmac::sign(&key, &[timestamp.to_string().as_bytes(), b".", payload].concat());
    format!("t={timestamp},v1={}", domain::encoding::hex(tag.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORDER: &str = "01KB0SAMP1E00RDER000000000";

    fn body(kind: &str, object: serde_json::Value) -> Vec<u8> {
        serde_json::json!({ "id": "evt_1", "type": kind, "created": 1_795_687_000, "livemode": false, "data": { "object": object } })
            .to_string()
            .into_bytes()
    }

    fn secret() -> Secret {
        Secret::new("whsec_test_secret")
    }

    fn read(body: &[u8]) -> GatewayEvent {
        verify(body, Some(&sign(body, &secret(), 1_795_687_000)), &secret(), 1_795_687_100).unwrap()
    }

    #[test]
    fn the_signature_matches_stripes_documented_scheme() {
        // HMAC-SHA256("whsec_test_secret", "1.{}") computed independently (openssl dgst -sha256 -hmac).
        let header = sign(b"{}", &secret(), 1);
        assert_eq!(header, "t=1,v1=5bf3deb7e4bfc9899b179a53c4675ef3ab9ca8c5cd0df9e0ed182c5d798cfbb2");
    }

    #[test]
    fn missing_tampered_stale_and_foreign_signatures_are_refused() {
        let body = body("payment_intent.succeeded", serde_json::json!({ "id": "pi_1" }));
        let header = sign(&body, &secret(), 1_795_687_000);
        assert!(verify(&body, None, &secret(), 1_795_687_000).is_err(), "missing");
        let tampered = body.iter().map(|b| if *b == b'1' { b'2' } else { *b }).collect::<Vec<_>>();
        assert!(verify(&tampered, Some(&header), &secret(), 1_795_687_000).is_err(), "tampered body");
        assert!(verify(&body, Some(&header), &secret(), 1_795_687_000 + 301).is_err(), "stale");
        assert!(verify(&body, Some(&header), &Secret::new("whsec_other"), 1_795_687_000).is_err(), "wrong secret");
        assert!(verify(&body, Some("t=1795687000,v1=zz"), &secret(), 1_795_687_000).is_err(), "garbage");
        let two = format!("{header},v1={}", "00".repeat(32));
        assert!(verify(&body, Some(&two), &secret(), 1_795_687_000).is_ok(), "any v1 may match");
    }

    #[test]
    fn each_stripe_event_becomes_what_it_says() {
        let at = DateTime::from_timestamp(1_795_687_000, 0).unwrap();
        let intent = |extra: serde_json::Value| {
            let mut object = serde_json::json!({ "id": "pi_1", "object": "payment_intent", "amount": 4500,
                "currency": "usd", "metadata": { "order_id": ORDER } });
            object.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            object
        };
        let order = OrderId::parse(ORDER).unwrap();
        let cases = [
            (
                body("payment_intent.succeeded", intent(serde_json::json!({}))),
                GatewayEventKind::IntentSucceeded {
                    order: order.clone(),
                    intent: "pi_1".into(),
                    amount: Money::from_minor(4500),
                    currency: "usd".into(),
                    livemode: false,
                    at,
                },
            ),
            (
                body(
                    "payment_intent.payment_failed",
                    intent(serde_json::json!({ "last_payment_error": { "message": "Declined" } })),
                ),
                GatewayEventKind::IntentFailed { order, intent: "pi_1".into(), message: Some("Declined".into()) },
            ),
            (
                body(
                    "charge.refunded",
                    serde_json::json!({ "id": "ch_1", "payment_intent": "pi_1", "amount": 4500, "amount_refunded": 4500,
                        "refunded": true, "refunds": { "data": [{ "id": "re_1" }] } }),
                ),
                GatewayEventKind::ChargeRefunded {
                    intent: "pi_1".into(),
                    refund: Some("re_1".into()),
                    amount_refunded: Money::from_minor(4500),
                    full: true,
                },
            ),
            (
                body(
                    "charge.refunded",
                    serde_json::json!({ "id": "ch_1", "payment_intent": "pi_1", "amount": 4500, "amount_refunded": 1000,
                        "refunded": false }),
                ),
                GatewayEventKind::ChargeRefunded {
                    intent: "pi_1".into(),
                    refund: None,
                    amount_refunded: Money::from_minor(1000),
                    full: false,
                },
            ),
            (
                body(
                    "charge.dispute.created",
                    serde_json::json!({ "id": "dp_1", "object": "dispute", "charge": "ch_1", "payment_intent": "pi_1",
                        "amount": 4500, "status": "needs_response" }),
                ),
                GatewayEventKind::DisputeOpened { intent: "pi_1".into(), dispute: "dp_1".into() },
            ),
            (
                body(
                    "charge.dispute.closed",
                    serde_json::json!({ "id": "dp_1", "payment_intent": "pi_1", "status": "lost" }),
                ),
                GatewayEventKind::DisputeClosed { intent: "pi_1".into(), dispute: "dp_1".into(), won: false },
            ),
            (
                body(
                    "charge.dispute.closed",
                    serde_json::json!({ "id": "dp_1", "payment_intent": "pi_1", "status": "won" }),
                ),
                GatewayEventKind::DisputeClosed { intent: "pi_1".into(), dispute: "dp_1".into(), won: true },
            ),
            (
                body(
                    "charge.dispute.closed",
                    serde_json::json!({ "id": "dp_1", "payment_intent": "pi_1", "status": "warning_closed" }),
                ),
                GatewayEventKind::DisputeClosed { intent: "pi_1".into(), dispute: "dp_1".into(), won: true },
            ),
            (
                body(
                    "charge.refund.updated",
                    serde_json::json!({ "id": "re_1", "object": "refund", "payment_intent": "pi_1", "status": "failed" }),
                ),
                GatewayEventKind::RefundFailed { intent: "pi_1".into(), refund: "re_1".into() },
            ),
            (
                body(
                    "charge.refund.updated",
                    serde_json::json!({ "id": "re_1", "object": "refund", "payment_intent": "pi_1", "status": "succeeded" }),
                ),
                GatewayEventKind::Other { kind: "charge.refund.updated".into() },
            ),
            (
                body("payment_intent.succeeded", serde_json::json!({ "id": "pi_2", "metadata": {} })),
                GatewayEventKind::Other { kind: "payment_intent.succeeded".into() },
            ),
            (
                body("customer.created", serde_json::json!({ "id": "cus_1" })),
                GatewayEventKind::Other { kind: "customer.created".into() },
            ),
        ];
        for (body, expected) in cases {
            let event = read(&body);
            assert_eq!((event.id.as_str(), event.kind), ("evt_1", expected));
        }
    }

    #[test]
    fn oversized_bodies_and_floods_of_signatures_are_refused_before_any_hmac() {
        let big = vec![b' '; MAX_BODY + 1];
        let header = sign(&big, &secret(), 1_795_687_000);
        assert!(verify(&big, Some(&header), &secret(), 1_795_687_000).is_err(), "too large, however signed");
        let body = body("payment_intent.succeeded", serde_json::json!({ "id": "pi_1" }));
        let good = sign(&body, &secret(), 1_795_687_000);
        let flood = format!("{},{good}", ["v1=00"; MAX_SIGNATURES].join(","));
        assert!(verify(&body, Some(&flood), &secret(), 1_795_687_000).is_err(), "the good one comes too late");
        let few = format!("{},{good}", ["v1=00"; MAX_SIGNATURES - 2].join(","));
        assert!(verify(&body, Some(&few), &secret(), 1_795_687_000).is_ok());
    }

    #[test]
    fn a_signed_body_that_is_not_an_event_is_a_bad_request() {
        let body = b"not json at all";
        let outcome = verify(body, Some(&sign(body, &secret(), 1_795_687_000)), &secret(), 1_795_687_000);
        assert!(matches!(outcome, Err(Error::BadRequest(_))), "{outcome:?}");
    }

    #[test]
    fn each_connect_event_becomes_what_it_says_and_is_signed_like_the_others() {
        let account_event = |kind: &str, object: serde_json::Value, account: Option<&str>| {
            let mut event = serde_json::json!({ "id": "evt_c", "type": kind, "created": 1_795_687_000, "livemode": false,
                "data": { "object": object } });
            if let Some(account) = account {
                event["account"] = account.into();
            }
            let body = event.to_string().into_bytes();
            let header = sign(&body, &secret(), 1_795_687_000);
            assert!(verify_account_event(&body, Some(&header), &Secret::new("whsec_other"), 1_795_687_000).is_err());
            verify_account_event(&body, Some(&header), &secret(), 1_795_687_000).unwrap().kind
        };
        let enabled = serde_json::json!({ "id": "acct_1", "object": "account", "payouts_enabled": true });
        assert_eq!(
            account_event("account.updated", enabled, Some("acct_1")),
            AccountEventKind::Updated { account: "acct_1".into(), payouts_enabled: true }
        );
        let restricted = serde_json::json!({ "id": "acct_1", "object": "account", "payouts_enabled": false });
        assert_eq!(
            account_event("account.updated", restricted, None),
            AccountEventKind::Updated { account: "acct_1".into(), payouts_enabled: false }
        );
        let application = serde_json::json!({ "id": "ca_platform", "object": "application" });
        assert_eq!(
            account_event("account.application.deauthorized", application.clone(), Some("acct_1")),
            AccountEventKind::Deauthorized { account: "acct_1".into() }
        );
        assert_eq!(
            account_event("account.application.deauthorized", application, None),
            AccountEventKind::Other { kind: "account.application.deauthorized".into() },
            "no account named: nothing to act on"
        );
        let transfer = serde_json::json!({ "id": "tr_1", "object": "transfer" });
        assert_eq!(
            account_event("transfer.reversed", transfer, None),
            AccountEventKind::Transfer { transfer: "tr_1".into(), kind: "transfer.reversed".into() }
        );
        assert_eq!(
            account_event("payout.paid", serde_json::json!({ "id": "po_1" }), Some("acct_1")),
            AccountEventKind::Other { kind: "payout.paid".into() }
        );
    }
}
