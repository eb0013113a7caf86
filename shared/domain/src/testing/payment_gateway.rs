//! Every `PaymentGateway`: an intent per order (its idempotency key derived from the order),
//! charged with a good card and declined with a declining one with the provider's message,
//! refunded once, cancelled only while unpaid.

use crate::entities::{IntentRequest, IntentStatus};
use crate::error::Error;
use crate::ids::{OrderId, UserId};
use crate::money::Money;
use crate::ports::PaymentGateway;

pub async fn intent(gateway: &impl PaymentGateway, order: &OrderId) -> crate::entities::Intent {
    let user = UserId::from("buyer");
    let request = IntentRequest { amount: Money::from_minor(4500), currency: "usd", order_id: order, user_id: &user };
    gateway.create_intent(&request).await.unwrap()
}

pub async fn an_intent_is_created_for_the_amount_and_charged_with_a_good_card(gateway: impl PaymentGateway) {
    let created = intent(&gateway, &OrderId::generate()).await;
    assert_eq!((created.status, created.amount), (IntentStatus::RequiresPaymentMethod, 4500));
    assert!(created.client_secret.as_deref().is_some_and(|secret| secret.starts_with(&created.id)));

    let paid = gateway.confirm(&created.id, "pm_card_visa").await.unwrap();
    assert_eq!((paid.id.as_str(), paid.status), (created.id.as_str(), IntentStatus::Succeeded));
    assert_eq!(gateway.get_intent(&created.id).await.unwrap().status, IntentStatus::Succeeded);
}

pub async fn a_declined_card_is_payment_declined_with_the_providers_message(
    gateway: impl PaymentGateway,
    declining: &str,
) {
    let created = intent(&gateway, &OrderId::generate()).await;
    let declined = gateway.confirm(&created.id, declining).await;
    assert!(
        matches!(&declined, Err(Error::PaymentDeclined(message)) if message == "Your card was declined."),
        "{declined:?}"
    );
    assert_eq!(gateway.get_intent(&created.id).await.unwrap().status, IntentStatus::RequiresPaymentMethod);
}

pub async fn a_succeeded_intent_is_refunded(gateway: impl PaymentGateway) {
    let created = intent(&gateway, &OrderId::generate()).await;
    gateway.confirm(&created.id, "pm_card_visa").await.unwrap();
    assert_eq!(gateway.refund_of(&created.id).await.unwrap(), None, "no refund yet");
    let refund = gateway.refund(&created.id).await.unwrap();
    assert!(refund.starts_with("re_"), "{refund}");
    assert_eq!(gateway.refund_of(&created.id).await.unwrap(), Some(refund), "the refund is found again");
}

/// The intent's idempotency key is derived from the order: asking again is answered with
/// the first answer.
pub async fn one_order_gets_one_intent_however_often_it_is_asked_for(gateway: impl PaymentGateway) {
    let order = OrderId::generate();
    let first = intent(&gateway, &order).await;
    let again = intent(&gateway, &order).await;
    assert_eq!(first, again, "the idempotency key is derived from the order");
    assert_ne!(intent(&gateway, &OrderId::generate()).await.id, first.id);
}

/// A refund retried under its key has one effect: the same refund, and only one.
pub async fn a_refund_is_made_once(gateway: impl PaymentGateway) {
    let created = intent(&gateway, &OrderId::generate()).await;
    let not_yet = gateway.refund(&created.id).await;
    assert!(not_yet.is_err(), "nothing to refund before a success");
    gateway.confirm(&created.id, "pm_card_visa").await.unwrap();
    let first = gateway.refund(&created.id).await.unwrap();
    assert_eq!(gateway.refund(&created.id).await.unwrap(), first, "the retry gets the first answer");
    assert_eq!(gateway.refund_of(&created.id).await.unwrap(), Some(first), "and no second refund was made");
}

/// An unpaid intent is cancelled once and can no longer be paid; a paid one stays paid.
pub async fn an_unpaid_intent_is_cancelled_and_a_paid_one_is_not(gateway: impl PaymentGateway) {
    let unpaid = intent(&gateway, &OrderId::generate()).await;
    let cancelled = gateway.cancel_intent(&unpaid.id).await.unwrap();
    assert_eq!((cancelled.id.as_str(), cancelled.status), (unpaid.id.as_str(), IntentStatus::Canceled));
    assert_eq!(gateway.cancel_intent(&unpaid.id).await.unwrap().status, IntentStatus::Canceled, "asked again");
    assert!(gateway.confirm(&unpaid.id, "pm_card_visa").await.is_err(), "a cancelled intent cannot be paid");
    assert_eq!(gateway.get_intent(&unpaid.id).await.unwrap().status, IntentStatus::Canceled);

    let paid = intent(&gateway, &OrderId::generate()).await;
    gateway.confirm(&paid.id, "pm_card_visa").await.unwrap();
    assert_eq!(
        gateway.cancel_intent(&paid.id).await.unwrap().status,
        IntentStatus::Succeeded,
        "the payment came first"
    );
}

pub async fn an_unknown_payment_method_is_declined(gateway: impl PaymentGateway) {
    let created = intent(&gateway, &OrderId::generate()).await;
    let outcome = gateway.confirm(&created.id, "pm_no_such_method").await;
    assert!(matches!(outcome, Err(Error::PaymentDeclined(_))), "{outcome:?}");
}
