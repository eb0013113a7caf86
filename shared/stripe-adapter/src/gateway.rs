//! The payment gateway through `async-stripe`: PaymentIntents and Refunds.

use std::collections::HashMap;

use anyhow::anyhow;
use serde::Serialize;
use stripe_client_core::{IdempotencyKey, RequestBuilder, RequestStrategy, StripeMethod};

use domain::entities::{Intent, IntentRequest, IntentStatus, cancel_key, refund_key};
use domain::payments::GatewayEvent;
use domain::ports::{GatewayEvents, PaymentGateway};
use domain::{Error, Result};

use crate::config::StripeKey;
use crate::transport::{StripeFailure, StripeHttp};

#[derive(Clone)]
pub struct StripeGateway {
    client: StripeHttp,
}

impl StripeGateway {
    /// A client for Stripe, or for the Stripe-compatible server at `api_base` (e.g.
    /// `http://127.0.0.1:8420`).
    pub fn new(key: &StripeKey) -> anyhow::Result<Self> {
        let base = key.api_base.as_deref().unwrap_or("https://api.stripe.com/");
        Ok(Self { client: StripeHttp::new(key.secret_key.expose(), base)? })
    }

    pub(crate) fn client(&self) -> &StripeHttp {
        &self.client
    }
}

/// The fields of a PaymentIntent this service reads. Requests are built by hand and their
/// answers read into this, not into async-stripe's typed `PaymentIntent`: that type
/// describes every payment method Stripe has, and its decoder alone made the payments
/// functions twice the size of the others.
#[derive(miniserde::Deserialize)]
struct PaymentIntentFields {
    id: String,
    status: String,
    amount: i64,
    currency: String,
    client_secret: Option<String>,
    livemode: bool,
}

#[derive(miniserde::Deserialize)]
struct RefundFields {
    id: String,
}

fn intent(pi: PaymentIntentFields) -> Intent {
    let status = match pi.status.as_str() {
        "requires_payment_method" => IntentStatus::RequiresPaymentMethod,
        "requires_confirmation" => IntentStatus::RequiresConfirmation,
        "requires_action" => IntentStatus::RequiresAction,
        "succeeded" => IntentStatus::Succeeded,
        "canceled" => IntentStatus::Canceled,
        _ => IntentStatus::Processing,
    };
    // Stripe records when the intent's charge was made, not when the intent succeeded.
    Intent {
        id: pi.id,
        status,
        amount: pi.amount,
        currency: pi.currency,
        client_secret: pi.client_secret,
        succeeded_at: None,
        livemode: pi.livemode,
    }
}

/// A declined card is the buyer's problem (402 with Stripe's message), and so is a payment
/// method Stripe does not know (the request was well formed; the card cannot be charged);
/// anything else is ours.
fn failure(error: StripeFailure, doing: &str) -> Error {
    match error {
        StripeFailure::Api(api) if api.is(402, "card_error") => {
            Error::PaymentDeclined(api.message.unwrap_or_else(|| "Your card was declined.".to_owned()))
        }
        // An unknown payment method or token: the buyer sent something Stripe does not know.
        StripeFailure::Api(api) if api.status == 404 || (api.status == 400 && api.has_code("resource_missing")) => {
            Error::PaymentDeclined(api.message.unwrap_or_else(|| "No such payment method".to_owned()))
        }
        other => Error::Internal(anyhow::Error::new(other).context(doing.to_owned())),
    }
}

pub(crate) fn idempotent(key: String) -> Result<RequestStrategy> {
    Ok(RequestStrategy::Idempotent(
        IdempotencyKey::new(key).map_err(|e| Error::Internal(anyhow!("idempotency key: {e}")))?,
    ))
}

/// A card token (`tok_…`) attached as payment method data: the typed request has no field
/// for it, so the form is written here.
#[derive(Serialize)]
struct CardTokenForm<'a> {
    payment_method_data: CardTokenData<'a>,
}

#[derive(Serialize)]
struct CardTokenData<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    card: CardToken<'a>,
}

#[derive(Serialize)]
struct CardToken<'a> {
    token: &'a str,
}

#[derive(Serialize)]
struct CreateIntentForm<'a> {
    amount: i64,
    currency: &'a str,
    metadata: HashMap<&'static str, String>,
    /// The order: the seller's transfer is made in the same group.
    transfer_group: &'a str,
}

#[derive(Serialize)]
struct PaymentMethodForm<'a> {
    payment_method: &'a str,
}

#[derive(Serialize)]
struct RefundForm<'a> {
    payment_intent: &'a str,
}

/// `GET /v1/refunds?payment_intent=&limit=1`.
#[derive(Serialize)]
struct RefundsOf<'a> {
    payment_intent: &'a str,
    limit: u8,
}

#[derive(miniserde::Deserialize)]
struct RefundList {
    data: Vec<RefundFields>,
}

/// No parameters.
#[derive(Serialize)]
struct Empty {}

/// `GET /v1/events?created[gte]=&limit=100&starting_after=`.
#[derive(Serialize)]
struct EventsSince<'a> {
    #[serde(rename = "created[gte]")]
    since: i64,
    limit: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    starting_after: Option<&'a str>,
}

#[derive(miniserde::Deserialize)]
struct EventPage {
    data: Vec<miniserde::json::Value>,
    has_more: bool,
}

#[derive(miniserde::Deserialize)]
struct Identified {
    id: String,
}

/// The most pages of events one reconciliation reads (100 events each).
const MAX_EVENT_PAGES: usize = 50;

impl GatewayEvents for StripeGateway {
    async fn since(&self, since: chrono::DateTime<chrono::Utc>) -> Result<Vec<GatewayEvent>> {
        let mut events = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_EVENT_PAGES {
            let query = EventsSince { since: since.timestamp(), limit: 100, starting_after: after.as_deref() };
            let page = RequestBuilder::new(StripeMethod::Get, "/events")
                .query(&query)
                .customize::<EventPage>()
                .send(&self.client)
                .await
                .map_err(|e| failure(e, "listing events"))?;
            for item in &page.data {
                let json = miniserde::json::to_string(item);
                after = miniserde::json::from_str::<Identified>(&json).ok().map(|event| event.id);
                events.extend(crate::webhook::listed(&json));
            }
            if !page.has_more || after.is_none() {
                // Stripe lists newest first: what happened first is applied first.
                events.reverse();
                return Ok(events);
            }
        }
        Err(Error::Internal(anyhow!("more than {MAX_EVENT_PAGES} pages of events since {since}")))
    }
}

impl PaymentGateway for StripeGateway {
    async fn create_intent(&self, request: &IntentRequest<'_>) -> Result<Intent> {
        let metadata =
            HashMap::from([("order_id", request.order_id.to_string()), ("user_id", request.user_id.to_string())]);
        let form = CreateIntentForm {
            amount: request.amount.minor(),
            currency: request.currency,
            metadata,
            transfer_group: request.order_id.as_str(),
        };
        let pi = RequestBuilder::new(StripeMethod::Post, "/payment_intents")
            .form(&form)
            .customize::<PaymentIntentFields>()
            .request_strategy(idempotent(request.idempotency_key())?)
            .send(&self.client)
            .await
            .map_err(|e| failure(e, "creating a PaymentIntent"))?;
        Ok(intent(pi))
    }

    async fn confirm(&self, intent_id: &str, payment_method: &str) -> Result<Intent> {
        // Attach, then confirm: two calls that every Stripe-compatible server understands.
        if payment_method.starts_with("tok_") {
            let form = CardTokenForm {
                payment_method_data: CardTokenData { kind: "card", card: CardToken { token: payment_method } },
            };
            RequestBuilder::new(StripeMethod::Post, format!("/payment_intents/{intent_id}"))
                .form(&form)
                .customize::<PaymentIntentFields>()
                .send(&self.client)
                .await
                .map_err(|e| failure(e, "attaching a card token"))?;
        } else {
            RequestBuilder::new(StripeMethod::Post, format!("/payment_intents/{intent_id}"))
                .form(&PaymentMethodForm { payment_method })
                .customize::<PaymentIntentFields>()
                .send(&self.client)
                .await
                .map_err(|e| failure(e, "attaching a payment method"))?;
        }
        let confirm = RequestBuilder::new(StripeMethod::Post, format!("/payment_intents/{intent_id}/confirm"))
            .form(&Empty {})
            .customize::<PaymentIntentFields>();
        let pi = confirm.send(&self.client).await.map_err(|error| match error {
            // An intent that cannot be confirmed in its state, a card Stripe refuses as given.
            StripeFailure::Api(api) if api.is(400, "invalid_request_error") => {
                Error::BadRequest(api.message.unwrap_or_else(|| "The payment cannot be confirmed".to_owned()))
            }
            other => failure(other, "confirming"),
        })?;
        Ok(intent(pi))
    }

    async fn get_intent(&self, intent_id: &str) -> Result<Intent> {
        let pi = RequestBuilder::new(StripeMethod::Get, format!("/payment_intents/{intent_id}"))
            .customize::<PaymentIntentFields>()
            .send(&self.client)
            .await
            .map_err(|e| failure(e, "reading a PaymentIntent"))?;
        Ok(intent(pi))
    }

    async fn refund(&self, intent_id: &str) -> Result<String> {
        let refund = RequestBuilder::new(StripeMethod::Post, "/refunds")
            .form(&RefundForm { payment_intent: intent_id })
            .customize::<RefundFields>()
            .request_strategy(idempotent(refund_key(intent_id))?)
            .send(&self.client)
            .await
            .map_err(|e| failure(e, "refunding"))?;
        Ok(refund.id)
    }

    async fn cancel_intent(&self, intent_id: &str) -> Result<Intent> {
        let cancel = RequestBuilder::new(StripeMethod::Post, format!("/payment_intents/{intent_id}/cancel"))
            .form(&Empty {})
            .customize::<PaymentIntentFields>()
            .request_strategy(idempotent(cancel_key(intent_id))?)
            .send(&self.client)
            .await;
        match cancel {
            Ok(pi) => Ok(intent(pi)),
            // Not cancellable in its state (paid meanwhile, or cancelled already): as it stands.
            Err(StripeFailure::Api(api)) if api.status == 400 => self.get_intent(intent_id).await,
            Err(other) => Err(failure(other, "cancelling a PaymentIntent")),
        }
    }

    async fn refund_of(&self, intent_id: &str) -> Result<Option<String>> {
        let refunds = RequestBuilder::new(StripeMethod::Get, "/refunds")
            .query(&RefundsOf { payment_intent: intent_id, limit: 1 })
            .customize::<RefundList>()
            .send(&self.client)
            .await
            .map_err(|e| failure(e, "listing an intent's refunds"))?;
        Ok(refunds.data.into_iter().next().map(|refund| refund.id))
    }
}
