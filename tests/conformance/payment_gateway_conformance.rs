//! One suite, both payment gateways: the built-in test gateway (the local runner's) and the
//! Stripe adapter against localstripe. localstripe ignores idempotency keys, does not know
//! Stripe's `pm_card_chargeDeclined` and cannot confirm an intent again after a decline:
//! those cases run on the test gateway only, which follows Stripe's documented behaviour.

use domain::Error;
use domain::entities::IntentStatus;
use domain::ids::OrderId;
use domain::ports::PaymentGateway;
use domain::testing::payment_gateway as suite;
use embedded::TestGateway;

conformance!(
    test_gateway(TestGateway::new()),
    localstripe(ticketing_tests::localstripe::gateway());
    [
        an_intent_is_created_for_the_amount_and_charged_with_a_good_card,
        a_succeeded_intent_is_refunded,
        an_unknown_payment_method_is_declined,
        one_order_gets_one_intent_however_often_it_is_asked_for,
        a_refund_is_made_once,
        an_unpaid_intent_is_cancelled_and_a_paid_one_is_not,
    ]
);

#[tokio::test]
async fn test_gateway_declines_stripes_declining_cards() {
    for card in ["pm_card_chargeDeclined", "tok_chargeDeclined"] {
        suite::a_declined_card_is_payment_declined_with_the_providers_message(TestGateway::new(), card).await;
    }
}

#[tokio::test]
async fn localstripe_declines_its_declining_card() {
    suite::a_declined_card_is_payment_declined_with_the_providers_message(
        ticketing_tests::localstripe::gateway(),
        "pm_card_chargeCustomerFail",
    )
    .await;
}

// What localstripe does not fake, the test gateway holds to Stripe's documented behaviour.

#[tokio::test]
async fn a_declined_intent_can_be_paid_with_another_card() {
    let gateway = TestGateway::new();
    let created = suite::intent(&gateway, &OrderId::generate()).await;
    assert!(gateway.confirm(&created.id, "tok_chargeDeclined").await.is_err());
    assert_eq!(gateway.confirm(&created.id, "tok_visa").await.unwrap().status, IntentStatus::Succeeded);
    let again = gateway.confirm(&created.id, "pm_card_visa").await;
    assert!(matches!(again, Err(Error::Conflict(_))), "a succeeded intent is never charged again: {again:?}");
}

#[tokio::test]
async fn a_card_needing_3d_secure_waits_for_the_browser() {
    let gateway = TestGateway::new();
    let created = suite::intent(&gateway, &OrderId::generate()).await;
    let waiting = gateway.confirm(&created.id, "pm_card_authenticationRequired").await.unwrap();
    assert_eq!(waiting.status, IntentStatus::RequiresAction);
    assert_eq!(gateway.complete_in_browser(&created.id).unwrap().status, IntentStatus::Succeeded);
}

#[tokio::test]
async fn the_test_gateway_keeps_its_intents_and_keys_in_its_store_across_restarts() {
    let dir = std::env::temp_dir().join(ticketing_tests::unique_name("gateway-store"));
    let path = dir.join("ticketing.redb");
    let (order, paid, refunded) = {
        let gateway = TestGateway::in_store(&embedded::EmbeddedStore::open(&path).unwrap());
        let order = OrderId::generate();
        let created = suite::intent(&gateway, &order).await;
        assert!(gateway.confirm(&created.id, "tok_chargeDeclined").await.is_err());
        let paid = gateway.confirm(&created.id, "pm_card_visa").await.unwrap();
        let refunded = gateway.refund(&paid.id).await.unwrap();
        (order, paid, refunded)
    };
    let gateway = TestGateway::in_store(&embedded::EmbeddedStore::open(&path).unwrap());
    assert_eq!(gateway.get_intent(&paid.id).await.unwrap(), paid);
    assert_eq!(suite::intent(&gateway, &order).await, paid, "its key still gives the first answer");
    assert_eq!(gateway.refund(&paid.id).await.unwrap(), refunded, "and the refund's key too");
    assert_eq!(gateway.ledger().len(), 1);
    drop(gateway);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_declined_card_leaves_the_intent_payable_in_the_test_gateways_store() {
    let gateway = TestGateway::new();
    let created = suite::intent(&gateway, &OrderId::generate()).await;
    let waiting = gateway.confirm(&created.id, "pm_card_authenticationRequired").await.unwrap();
    assert_eq!(waiting.status, IntentStatus::RequiresAction);
    assert!(gateway.confirm(&created.id, "pm_card_chargeDeclined").await.is_err());
    let after = gateway.get_intent(&created.id).await.unwrap().status;
    assert_eq!(after, IntentStatus::RequiresPaymentMethod, "the decline is stored, as Stripe stores it");
}

#[tokio::test]
async fn localstripe_lists_the_success_of_an_intent_as_its_webhook_would_have_told_it() {
    use domain::payments::GatewayEventKind;
    use domain::ports::GatewayEvents;
    let gateway = ticketing_tests::localstripe::gateway();
    let since = chrono::Utc::now() - chrono::Duration::seconds(60);
    let order = OrderId::generate();
    let created = suite::intent(&gateway, &order).await;
    gateway.confirm(&created.id, "pm_card_visa").await.unwrap();

    let events = gateway.since(since).await.unwrap();
    let ours: Vec<_> = events
        .iter()
        .filter_map(|event| match &event.kind {
            GatewayEventKind::IntentSucceeded { order: of, intent, amount, .. } if *intent == created.id => {
                Some((of.clone(), amount.minor()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(ours, [(order, 4500)], "the success, once, for its order");
}
