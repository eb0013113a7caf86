//! The local runner's payment gateway, used when no Stripe key is configured. It follows
//! Stripe's documented test payment methods: `pm_card_visa` / `tok_visa` (and the
//! Mastercard ones) succeed, `pm_card_chargeDeclined` / `tok_chargeDeclined` are declined,
//! `pm_card_authenticationRequired` / `tok_authenticationRequired` need 3-D Secure; any
//! other method does not exist. Idempotency keys work as Stripe's do. Its intents and keys
//! live in an embedded store (the runner's own), so they outlive a restart.

use domain::entities::{Intent, IntentRequest, IntentStatus, refund_key};
use domain::payments::{GatewayEvent, GatewayEventKind};
use domain::ports::{GatewayEvents, PaymentGateway};
use domain::{Error, Result};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};

use crate::store::{EmbeddedStore, Table, decode, encode, storage};

/// The gateway's intents, by id.
const INTENTS: Table = TableDefinition::new("gateway_intents");
/// Idempotency key → the id of what the first request with it created.
const KEYS: Table = TableDefinition::new("gateway_keys");

/// Keeps its intents and idempotency keys in an embedded store: the runner's own, so that
/// what a buyer started survives a restart, as it does at Stripe.
#[derive(Clone)]
pub struct TestGateway {
    store: EmbeddedStore,
}

/// What one transaction of the gateway sees: its two tables, to read (`T` read-only) or to
/// write.
struct State<T> {
    intents: T,
    keys: T,
}

type Written<'a> = redb::Table<'a, &'static str, &'static [u8]>;
type Read = redb::ReadOnlyTable<&'static str, &'static [u8]>;

impl<T: ReadableTable<&'static str, &'static [u8]>> State<T> {
    fn intent(&self, id: &str) -> Result<Option<Intent>> {
        self.intents.get(id).map_err(storage)?.map(|record| decode(record.value())).transpose()
    }

    fn key(&self, key: &str) -> Result<Option<String>> {
        self.keys.get(key).map_err(storage)?.map(|record| decode(record.value())).transpose()
    }

    /// The intent's refund, made with this service's key or in the dashboard.
    fn refund_of(&self, intent_id: &str) -> Result<Option<String>> {
        Ok(self.key(&refund_key(intent_id))?.or(self.key(&dashboard_key(intent_id))?))
    }
}

impl State<Written<'_>> {
    fn put(&mut self, intent: &Intent) -> Result<()> {
        self.intents.insert(intent.id.as_str(), encode(intent)?.as_slice()).map_err(storage)?;
        Ok(())
    }

    fn remember(&mut self, key: &str, id: &str) -> Result<()> {
        self.keys.insert(key, encode(&id)?.as_slice()).map_err(storage)?;
        Ok(())
    }
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

impl Default for TestGateway {
    fn default() -> Self {
        Self::new()
    }
}

impl TestGateway {
    /// A gateway of its own, in memory.
    pub fn new() -> Self {
        Self::in_store(&EmbeddedStore::in_memory())
    }

    /// A gateway that keeps its state in `store` (in tables of its own).
    pub fn in_store(store: &EmbeddedStore) -> Self {
        Self { store: store.clone() }
    }

    /// The database its state lives in.
    pub(crate) fn database(&self) -> &redb::Database {
        self.store.database()
    }

    /// Runs `work` in one write transaction: one request at a time, as the provider
    /// serializes requests on one intent. Short and on this thread, like the lock it replaces.
    fn with<T>(&self, work: impl FnOnce(&mut State<Written<'_>>) -> Result<T>) -> Result<T> {
        let txn = self.store.database().begin_write().map_err(storage)?;
        let value = {
            let mut state = State {
                intents: txn.open_table(INTENTS).map_err(storage)?,
                keys: txn.open_table(KEYS).map_err(storage)?,
            };
            work(&mut state)?
        };
        txn.commit().map_err(storage)?;
        Ok(value)
    }

    /// Runs `work` in one read transaction; before the gateway ever wrote, the answer is
    /// `T`'s default (nothing is known).
    fn read<T: Default>(&self, work: impl FnOnce(&State<Read>) -> Result<T>) -> Result<T> {
        let txn = self.store.database().begin_read().map_err(storage)?;
        match (crate::store::open_readable(&txn, INTENTS)?, crate::store::open_readable(&txn, KEYS)?) {
            (Some(intents), Some(keys)) => work(&State { intents, keys }),
            _ => Ok(T::default()),
        }
    }

    /// Every intent, with the order it was created for and its refund, if any.
    fn charges(&self) -> Result<Vec<(String, Intent, Option<String>)>> {
        self.read(|state| {
            let mut charges = Vec::new();
            for entry in state.keys.iter().map_err(storage)? {
                let (key, id) = entry.map_err(storage)?;
                let Some(order) = key.value().strip_prefix("order-").and_then(|k| k.strip_suffix("-intent")) else {
                    continue;
                };
                let id: String = decode(id.value())?;
                let Some(intent) = state.intent(&id)? else { continue };
                charges.push((order.to_owned(), intent, state.refund_of(&id)?));
            }
            Ok(charges)
        })
    }

    /// Every intent, with the order it was created for and whether it was refunded: what a
    /// look at the payment provider's dashboard would show.
    pub fn ledger(&self) -> Vec<(String, Intent, bool)> {
        let charges = self.charges().unwrap_or_default();
        charges.into_iter().map(|(order, intent, refund)| (order, intent, refund.is_some())).collect()
    }

    /// Applies `change` to the intent `intent_id` and stores the intent as `change` left it,
    /// whatever it answers (a declined card changes the intent too).
    fn update<T>(
        &self,
        intent_id: &str,
        unknown: impl FnOnce() -> Error,
        change: impl FnOnce(&mut Intent) -> Result<T>,
    ) -> Result<T> {
        self.with(|state| {
            let mut intent = state.intent(intent_id)?.ok_or_else(unknown)?;
            let answer = change(&mut intent);
            state.put(&intent)?;
            Ok(answer)
        })?
    }

    /// Whether the intent was refunded by this service (with its key), as opposed to in the
    /// dashboard.
    pub fn refunded_by_service(&self, intent_id: &str) -> bool {
        self.read(|state| state.key(&refund_key(intent_id))).ok().flatten().is_some()
    }

    /// What a refund made in the provider's dashboard does: the succeeded intent's charge is
    /// refunded in full, once, without this service's key. Returns the refund's id.
    pub fn refund_from_dashboard(&self, intent_id: &str) -> Result<String> {
        self.with(|state| {
            let intent = state.intent(intent_id)?.ok_or_else(unknown)?;
            if intent.status != IntentStatus::Succeeded || state.refund_of(intent_id)?.is_some() {
                return Err(Error::Conflict("Nothing to refund"));
            }
            let refund = format!("re_dashboard_{}", ulid::Ulid::new());
            state.remember(&dashboard_key(intent_id), &refund)?;
            Ok(refund)
        })
    }

    /// What an update at the provider does (its API or dashboard): the intent now asks for
    /// `amount` in `currency`.
    pub fn change_amount(&self, intent_id: &str, amount: i64, currency: &str) -> Result<Intent> {
        self.update(intent_id, unknown, |intent| {
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
        self.update(intent_id, unknown, |intent| {
            if intent.status == IntentStatus::Canceled {
                return Err(Error::Conflict("This PaymentIntent was canceled"));
            }
            intent.status = IntentStatus::Succeeded;
            intent.succeeded_at = Some(at);
            Ok(intent.clone())
        })
    }
}

/// Where a refund made outside this service (Stripe's dashboard) is kept.
fn dashboard_key(intent_id: &str) -> String {
    format!("{intent_id}-dashboard-refund")
}

/// What the browser's stand-in is told of an intent it does not know.
fn unknown() -> Error {
    Error::NotFound("No such payment_intent")
}

fn missing(intent_id: &str) -> Error {
    Error::Internal(anyhow::anyhow!("no such payment_intent: {intent_id}"))
}

/// What happened at this gateway, as the webhook would have told it: each intent's success
/// and refund, at any time (this gateway keeps no event times; it is small).
impl GatewayEvents for TestGateway {
    async fn since(&self, _: chrono::DateTime<chrono::Utc>) -> Result<Vec<GatewayEvent>> {
        let mut events = Vec::new();
        for (order, intent, refund) in self.charges()? {
            let Some(order) = domain::ids::OrderId::parse(&order) else { continue };
            if intent.status != IntentStatus::Succeeded {
                continue;
            }
            events.push(GatewayEvent {
                id: format!("evt_test_{}_succeeded", intent.id),
                kind: GatewayEventKind::IntentSucceeded {
                    order,
                    intent: intent.id.clone(),
                    amount: domain::money::Money::from_minor(intent.amount),
                    currency: intent.currency.clone(),
                    livemode: intent.livemode,
                    at: intent.succeeded_at.unwrap_or_else(chrono::Utc::now),
                },
            });
            if let Some(refund) = refund {
                events.push(GatewayEvent {
                    id: format!("evt_test_{refund}"),
                    kind: GatewayEventKind::ChargeRefunded {
                        intent: intent.id.clone(),
                        refund: Some(refund),
                        amount_refunded: domain::money::Money::from_minor(intent.amount),
                        full: true,
                    },
                });
            }
        }
        Ok(events)
    }
}

impl PaymentGateway for TestGateway {
    async fn create_intent(&self, request: &IntentRequest<'_>) -> Result<Intent> {
        self.with(|state| {
            let key = request.idempotency_key();
            if let Some(id) = state.key(&key)? {
                return state.intent(&id)?.ok_or_else(|| missing(&id));
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
            state.remember(&key, &id)?;
            state.put(&intent)?;
            Ok(intent)
        })
    }

    async fn confirm(&self, intent_id: &str, payment_method: &str) -> Result<Intent> {
        self.update(
            intent_id,
            || missing(intent_id),
            |intent| {
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
            },
        )
    }

    async fn get_intent(&self, intent_id: &str) -> Result<Intent> {
        self.read(|state| state.intent(intent_id))?.ok_or_else(|| missing(intent_id))
    }

    async fn refund_of(&self, intent_id: &str) -> Result<Option<String>> {
        let (known, refund) =
            self.read(|state| Ok((state.intent(intent_id)?.is_some(), state.refund_of(intent_id)?)))?;
        if !known {
            return Err(missing(intent_id));
        }
        Ok(refund)
    }

    async fn cancel_intent(&self, intent_id: &str) -> Result<Intent> {
        self.update(
            intent_id,
            || missing(intent_id),
            |intent| {
                if matches!(
                    intent.status,
                    IntentStatus::RequiresPaymentMethod
                        | IntentStatus::RequiresConfirmation
                        | IntentStatus::RequiresAction
                ) {
                    intent.status = IntentStatus::Canceled;
                }
                Ok(intent.clone())
            },
        )
    }

    async fn refund(&self, intent_id: &str) -> Result<String> {
        self.with(|state| {
            let key = refund_key(intent_id);
            if let Some(refund) = state.key(&key)? {
                return Ok(refund);
            }
            let intent = state.intent(intent_id)?.ok_or_else(|| missing(intent_id))?;
            if intent.status != IntentStatus::Succeeded {
                return Err(Error::Internal(anyhow::anyhow!("cannot refund {intent_id}: not succeeded")));
            }
            if state.key(&dashboard_key(intent_id))?.is_some() {
                // As Stripe answers: the charge was refunded in full already.
                return Err(Error::Internal(anyhow::anyhow!("charge of {intent_id} has already been refunded")));
            }
            let refund = format!("re_test_{}", ulid::Ulid::new());
            state.remember(&key, &refund)?;
            Ok(refund)
        })
    }
}
