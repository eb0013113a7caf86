//! The local runner's payment gateway, used when no Stripe key is configured. It follows
//! Stripe's documented test payment methods: `pm_card_visa` / `tok_visa` (and the
//! Mastercard ones) succeed, `pm_card_chargeDeclined` / `tok_chargeDeclined` are declined,
//! `pm_card_authenticationRequired` / `tok_authenticationRequired` need 3-D Secure; any
//! other method does not exist. Idempotency keys work as Stripe's do.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use domain::entities::{Intent, IntentRequest, IntentStatus, refund_key};
use domain::ports::PaymentGateway;
use domain::{Error, Result};

#[derive(Default)]
struct State {
    intents: HashMap<String, Intent>,
    /// Idempotency key → what the first request with it returned.
    keys: HashMap<String, String>,
}

#[derive(Clone, Default)]
pub struct TestGateway {
    state: Arc<Mutex<State>>,
}

enum Card {
    Succeeds,
    Declined,
    NeedsAuthentication,
}

fn card(payment_method: &str) -> Option<Card> {
    match payment_method {
        "pm_card_visa" | "tok_visa" | "pm_card_mastercard" | "tok_mastercard" => Some(Card::Succeeds),
        "pm_card_chargeDeclined" | "tok_chargeDeclined" | "pm_card_visa_chargeDeclined" => Some(Card::Declined),
        "pm_card_authenticationRequired" | "tok_authenticationRequired" => Some(Card::NeedsAuthentication),
        _ => None,
    }
}

impl TestGateway {
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, work: impl FnOnce(&mut State) -> Result<T>) -> Result<T> {
        let mut state = self.state.lock().map_err(|_| Error::Internal(anyhow::anyhow!("test gateway poisoned")))?;
        work(&mut state)
    }

    /// Every intent, with the order it was created for and whether it was refunded: what a
    /// look at the payment provider's dashboard would show.
    pub fn ledger(&self) -> Vec<(String, Intent, bool)> {
        let Ok(state) = self.state.lock() else { return Vec::new() };
        state
            .keys
            .iter()
            .filter_map(|(key, id)| {
                let order = key.strip_prefix("order-")?.strip_suffix("-intent")?.to_owned();
                let intent = state.intents.get(id)?.clone();
                let refunded = state.keys.contains_key(&refund_key(id));
                Some((order, intent, refunded))
            })
            .collect()
    }

    /// What an update at the provider does (its API or dashboard): the intent now asks for
    /// `amount` in `currency`.
    pub fn change_amount(&self, intent_id: &str, amount: i64, currency: &str) -> Result<Intent> {
        self.with(|state| {
            let intent = state.intents.get_mut(intent_id).ok_or(Error::NotFound("No such payment_intent"))?;
            (intent.amount, intent.currency) = (amount, currency.to_owned());
            Ok(intent.clone())
        })
    }

    /// What Stripe.js does in a browser: the buyer completes the intent (a card, or a
    /// passed 3-D Secure challenge). Returns the succeeded intent.
    pub fn complete_in_browser(&self, intent_id: &str) -> Result<Intent> {
        self.complete_in_browser_at(intent_id, chrono::Utc::now())
    }

    /// The same, the payment made at `at`.
    pub fn complete_in_browser_at(&self, intent_id: &str, at: chrono::DateTime<chrono::Utc>) -> Result<Intent> {
        self.with(|state| {
            let intent = state.intents.get_mut(intent_id).ok_or(Error::NotFound("No such payment_intent"))?;
            intent.status = IntentStatus::Succeeded;
            intent.succeeded_at = Some(at);
            Ok(intent.clone())
        })
    }
}

fn missing(intent_id: &str) -> Error {
    Error::Internal(anyhow::anyhow!("no such payment_intent: {intent_id}"))
}

impl PaymentGateway for TestGateway {
    async fn create_intent(&self, request: &IntentRequest<'_>) -> Result<Intent> {
        self.with(|state| {
            if let Some(id) = state.keys.get(&request.idempotency_key()) {
                return state.intents.get(id).cloned().ok_or_else(|| missing(id));
            }
            let id = format!("pi_test_{}", ulid::Ulid::new());
            let intent = Intent {
                id: id.clone(),
                status: IntentStatus::RequiresPaymentMethod,
                amount: request.amount.minor(),
                currency: request.currency.to_owned(),
                client_secret: Some(format!("{id}_secret_{}", ulid::Ulid::new())),
                succeeded_at: None,
                livemode: false,
            };
            state.keys.insert(request.idempotency_key(), id.clone());
            state.intents.insert(id, intent.clone());
            Ok(intent)
        })
    }

    async fn confirm(&self, intent_id: &str, payment_method: &str) -> Result<Intent> {
        self.with(|state| {
            let intent = state.intents.get_mut(intent_id).ok_or_else(|| missing(intent_id))?;
            if matches!(intent.status, IntentStatus::Succeeded | IntentStatus::Canceled) {
                return Err(Error::Conflict("This PaymentIntent can no longer be confirmed"));
            }
            match card(payment_method) {
                None => Err(Error::PaymentDeclined(format!("No such PaymentMethod: '{payment_method}'"))),
                Some(Card::Declined) => {
                    intent.status = IntentStatus::RequiresPaymentMethod;
                    Err(Error::PaymentDeclined("Your card was declined.".to_owned()))
                }
                Some(Card::NeedsAuthentication) => {
                    intent.status = IntentStatus::RequiresAction;
                    Ok(intent.clone())
                }
                Some(Card::Succeeds) => {
                    intent.status = IntentStatus::Succeeded;
                    intent.succeeded_at = Some(chrono::Utc::now());
                    Ok(intent.clone())
                }
            }
        })
    }

    async fn get_intent(&self, intent_id: &str) -> Result<Intent> {
        self.with(|state| state.intents.get(intent_id).cloned().ok_or_else(|| missing(intent_id)))
    }

    async fn refund_of(&self, intent_id: &str) -> Result<Option<String>> {
        self.with(|state| {
            state.intents.get(intent_id).ok_or_else(|| missing(intent_id))?;
            Ok(state.keys.get(&refund_key(intent_id)).cloned())
        })
    }

    async fn refund(&self, intent_id: &str) -> Result<String> {
        self.with(|state| {
            let key = refund_key(intent_id);
            if let Some(refund) = state.keys.get(&key) {
                return Ok(refund.clone());
            }
            let intent = state.intents.get(intent_id).ok_or_else(|| missing(intent_id))?;
            if intent.status != IntentStatus::Succeeded {
                return Err(Error::Internal(anyhow::anyhow!("cannot refund {intent_id}: not succeeded")));
            }
            let refund = format!("re_test_{}", ulid::Ulid::new());
            state.keys.insert(key, refund.clone());
            Ok(refund)
        })
    }
}
