//! Payments over HTTP against the local runner, with the built-in test gateway standing in
//! for Stripe and webhook bodies signed with the endpoint secret, as Stripe signs them.

use std::time::Duration;

use domain::config::Secret;
use domain::orders::ReservationTimeout;
use reqwest::Method;
use serde_json::Value;
use stripe_adapter::webhook as stripe_webhook;
use ticketing_tests::{
    Reply, TestApp, charge_refunded, eventually, json, spawn_app, spawn_app_configured, stripe_event,
};

/// A seller's ticket ordered by a buyer: (buyer's cookie, order id, ticket id).
async fn ordered(app: &TestApp) -> (String, String, String) {
    let seller = app.session("seller@example.com").await;
    let ticket = app.create_ticket(&seller, &json!({ "title": "Concert", "price": 45.00 })).await.body;
    app.attach_pdf(&seller, ticket["id"].as_str().unwrap()).await;
    let buyer = app.session("buyer@example.com").await;
    let order = app.with_session(Method::POST, "/api/orders", &buyer, Some(&json!({ "ticketId": ticket["id"] }))).await;
    assert_eq!(order.status, 201);
    (buyer, order.body["id"].as_str().unwrap().to_owned(), ticket["id"].as_str().unwrap().to_owned())
}

async fn pay(app: &TestApp, cookie: &str, order_id: &str, token: Option<&str>) -> Reply {
    let body = match token {
        Some(token) => json!({ "orderId": order_id, "token": token }),
        None => json!({ "orderId": order_id }),
    };
    app.with_session(Method::POST, "/api/payments", cookie, Some(&body)).await
}

async fn order_of(app: &TestApp, cookie: &str, order_id: &str) -> Value {
    app.with_session(Method::GET, &format!("/api/orders/{order_id}"), cookie, None).await.body
}

async fn payments_of(app: &TestApp, cookie: &str, order_id: &str) -> Vec<Value> {
    let reply = app.with_session(Method::GET, &format!("/api/payments?orderId={order_id}"), cookie, None).await;
    assert_eq!(reply.status, 200);
    reply.body.as_array().unwrap().clone()
}

async fn notification_kinds(app: &TestApp, cookie: &str) -> Vec<String> {
    let reply = app.with_session(Method::GET, "/api/notifications", cookie, None).await;
    reply.body.as_array().unwrap().iter().map(|n| n["kind"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_full_purchase_completes_the_order_sells_the_ticket_and_sends_a_receipt() {
    let app = spawn_app().await;
    let (buyer, order_id, ticket_id) = ordered(&app).await;

    let paid = pay(&app, &buyer, &order_id, Some("pm_card_visa")).await;
    assert_eq!(paid.status, 201, "{}", paid.body);
    assert_eq!(
        (paid.body["status"].as_str(), paid.body["orderId"].as_str()),
        (Some("succeeded"), Some(order_id.as_str()))
    );
    assert!(paid.body["stripeId"].as_str().is_some_and(|id| id.starts_with("pi_")));
    assert_eq!(paid.body["amount"], json!(45.0), "the ticket's price, from the server's records");
    assert!(paid.body.get("clientSecret").is_none(), "no secret once paid");
    let page = order_of(&app, &buyer, &order_id).await;
    assert_eq!(paid.body["order"], page, "the answer carries the complete order's page, as its route shows it");

    assert_eq!(page["status"], "complete");
    assert_eq!(app.get(&format!("/api/tickets/{ticket_id}")).await.body["status"], "sold");
    assert_eq!(payments_of(&app, &buyer, &order_id).await.len(), 1);
    eventually("the receipt", || async {
        notification_kinds(&app, &buyer).await.contains(&"payment.receipt".to_owned()).then_some(())
    })
    .await;

    let again = pay(&app, &buyer, &order_id, Some("pm_card_visa")).await;
    assert_eq!((again.status, again.messages()), (409, vec!["Order is already paid"]));
    let cancel = app.with_session(Method::DELETE, &format!("/api/orders/{order_id}"), &buyer, None).await;
    assert_eq!((cancel.status, cancel.messages()), (409, vec!["Cannot cancel a paid order"]));
}

/// The order's page reads one route: the order comes with the seconds its reservation has
/// left, as the expiration route says them, and its payments, as the payments route lists them.
#[tokio::test]
async fn an_order_comes_with_its_time_left_and_its_payments() {
    let app = spawn_app().await;
    let (buyer, order_id, _) = ordered(&app).await;
    let open = order_of(&app, &buyer, &order_id).await;
    assert_eq!(open["payments"], json!([]));
    let remaining = open["secondsRemaining"].as_i64().unwrap();
    assert!((890..=900).contains(&remaining), "{remaining}");
    let state = app.with_session(Method::GET, &format!("/api/expiration/{order_id}"), &buyer, None).await.body;
    assert!((remaining - 2..=remaining).contains(&state["secondsRemaining"].as_i64().unwrap()), "{state}");

    let declined = pay(&app, &buyer, &order_id, Some("tok_chargeDeclined")).await;
    assert_eq!(declined.status, 402);
    let retried = order_of(&app, &buyer, &order_id).await;
    assert_eq!(retried["payments"], json!(payments_of(&app, &buyer, &order_id).await));
    assert_eq!(retried["payments"][0]["failureMessage"], "Your card was declined.");

    assert_eq!(pay(&app, &buyer, &order_id, Some("pm_card_visa")).await.status, 201);
    let complete = order_of(&app, &buyer, &order_id).await;
    assert_eq!((complete["status"].as_str(), complete["secondsRemaining"].as_i64()), (Some("complete"), Some(0)));
    assert_eq!(complete["payments"], json!(payments_of(&app, &buyer, &order_id).await));
    assert_eq!(complete["payments"][0]["status"], "succeeded");
}

#[tokio::test]
async fn a_declined_card_is_402_and_the_order_stays_payable() {
    let app = spawn_app().await;
    let (buyer, order_id, ticket_id) = ordered(&app).await;

    let declined = pay(&app, &buyer, &order_id, Some("tok_chargeDeclined")).await;
    assert_eq!((declined.status, declined.messages()), (402, vec!["Your card was declined."]));
    assert_eq!(order_of(&app, &buyer, &order_id).await["status"], "awaiting:payment");
    assert_eq!(app.get(&format!("/api/tickets/{ticket_id}")).await.body["status"], "reserved");
    let recorded = payments_of(&app, &buyer, &order_id).await;
    assert_eq!(
        (recorded[0]["status"].as_str(), recorded[0]["failureMessage"].as_str()),
        (Some("requires_payment_method"), Some("Your card was declined."))
    );

    let paid = pay(&app, &buyer, &order_id, Some("tok_visa")).await;
    assert_eq!((paid.status, paid.body["status"].as_str()), (201, Some("succeeded")));
    assert_eq!(paid.body["stripeId"], recorded[0]["stripeId"], "the same one PaymentIntent");
    assert_eq!(order_of(&app, &buyer, &order_id).await["status"], "complete");
}

#[tokio::test]
async fn a_card_needing_3d_secure_is_202_with_the_client_secret() {
    let app = spawn_app().await;
    let (buyer, order_id, _) = ordered(&app).await;
    let reply = pay(&app, &buyer, &order_id, Some("pm_card_authenticationRequired")).await;
    assert_eq!((reply.status, reply.body["status"].as_str()), (202, Some("requires_action")));
    assert!(reply.body["clientSecret"].as_str().is_some_and(|secret| secret.contains("_secret_")));
    assert_eq!(order_of(&app, &buyer, &order_id).await["status"], "awaiting:payment");
}

#[tokio::test]
async fn without_a_token_the_order_gets_one_payment_intent_for_stripe_js() {
    let app = spawn_app().await;
    let (buyer, order_id, _) = ordered(&app).await;
    let first = pay(&app, &buyer, &order_id, None).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.body["status"], "requires_payment_method");
    assert!(first.body["clientSecret"].as_str().is_some());
    assert_eq!(order_of(&app, &buyer, &order_id).await["status"], "awaiting:payment");

    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let (app, buyer, order_id) = (app.clone(), buyer.clone(), order_id.clone());
        racers.spawn(async move { pay(&app, &buyer, &order_id, None).await });
    }
    for again in racers.join_all().await {
        assert_eq!(
            (again.status, &again.body["stripeId"], &again.body["id"]),
            (201, &first.body["stripeId"], &first.body["id"])
        );
    }
    assert_eq!(payments_of(&app, &buyer, &order_id).await.len(), 1);
}

/// Stripe.js confirmed the payment in the browser: asked again, the API looks the intent up,
/// records the payment and completes the order at once (no wait for the webhook, which then
/// changes nothing) and answers with the complete order's page. Asked before the browser
/// confirmed, it hands out the same intent again.
#[tokio::test]
async fn a_payment_the_browser_confirmed_is_recorded_when_asked_again_and_the_answer_is_the_complete_order() {
    let app = spawn_app().await;
    let (buyer, order_id, ticket_id) = ordered(&app).await;
    let started = pay(&app, &buyer, &order_id, None).await;
    let again = pay(&app, &buyer, &order_id, None).await;
    assert_eq!((again.status, &again.body["stripeId"]), (201, &started.body["stripeId"]));
    assert!(again.body.get("order").is_none(), "not paid yet: {}", again.body);
    let intent = started.body["stripeId"].as_str().unwrap().to_owned();
    app.gateway.as_ref().unwrap().complete_in_browser(&intent).unwrap();

    let recorded = pay(&app, &buyer, &order_id, None).await;
    assert_eq!((recorded.status, recorded.body["status"].as_str()), (201, Some("succeeded")), "{}", recorded.body);
    assert!(recorded.body.get("clientSecret").is_none(), "no secret once paid");
    let order = &recorded.body["order"];
    assert_eq!((order["id"].as_str(), order["status"].as_str()), (Some(order_id.as_str()), Some("complete")));
    assert_eq!(order["payments"][0]["status"], "succeeded");
    assert_eq!(*order, order_of(&app, &buyer, &order_id).await);
    assert_eq!(app.get(&format!("/api/tickets/{ticket_id}")).await.body["status"], "sold");

    let body = succeeded_now("evt_after_browser", &intent, &order_id);
    assert_eq!(deliver_signed(&app, &body).await.status, 200);
    assert_eq!(payments_of(&app, &buyer, &order_id).await.len(), 1);
    assert_eq!(order_of(&app, &buyer, &order_id).await, *order, "the webhook finds it recorded");
    let once_more = pay(&app, &buyer, &order_id, None).await;
    assert_eq!((once_more.status, once_more.messages()), (409, vec!["Order is already paid"]));
}

/// Eight concurrent one-step payments of the order: one pays (201), the others are told it
/// is paid or being paid (409).
async fn one_of_eight_clicks_pays(app: &TestApp, buyer: &str, order_id: &str) {
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (app, buyer, order_id) = (app.clone(), buyer.to_owned(), order_id.to_owned());
        racers.spawn(async move { pay(&app, &buyer, &order_id, Some("pm_card_visa")).await.status });
    }
    let statuses = racers.join_all().await;
    assert_eq!(statuses.iter().filter(|status| **status == 201).count(), 1, "{order_id}: {statuses:?}");
    assert!(statuses.iter().all(|status| *status == 201 || *status == 409), "{order_id}: {statuses:?}");
}

#[tokio::test]
async fn double_submits_charge_once() {
    let app = spawn_app().await;
    let (buyer, order_id, _) = ordered(&app).await;
    one_of_eight_clicks_pays(&app, &buyer, &order_id).await;
    let recorded = payments_of(&app, &buyer, &order_id).await;
    assert_eq!((recorded.len(), recorded[0]["status"].as_str()), (1, Some("succeeded")));
    assert_eq!(order_of(&app, &buyer, &order_id).await["status"], "complete");
    // The gateway's own ledger: one charge, and the sale's money kept.
    let ledger = app.gateway.as_ref().unwrap().ledger();
    let charges: Vec<_> = ledger.iter().filter(|(order, _, _)| *order == order_id).collect();
    assert_eq!(charges.len(), 1, "{ledger:?}");
    assert!(!charges[0].2, "a completed sale was refunded: {ledger:?}");
}

/// As a buyer double-clicking "Pay" would, on the Stripe gateway (localstripe, which keeps
/// idempotency keys as Stripe does): eight concurrent one-step payments of one order, twelve
/// times over. Each order ends complete, with one intent at Stripe, charged and never
/// refunded.
#[tokio::test]
async fn with_stripe_eight_concurrent_one_step_payments_twelve_times_charge_each_order_once_and_refund_nothing() {
    use domain::ports::PaymentGateway;
    let mut config = local::LocalConfig::for_tests();
    config.stripe = Some(ticketing_tests::localstripe::key());
    let app = spawn_app_configured(config, Vec::new()).await;
    let stripe = ticketing_tests::localstripe::gateway();
    for trial in 0..12 {
        let seller = app.session(&format!("seller{trial}@example.com")).await;
        let ticket = app.create_ticket(&seller, &json!({ "title": "Concert", "price": 45.00 })).await.body;
        let ticket_id = ticket["id"].as_str().unwrap().to_owned();
        let buyer = app.session(&format!("buyer{trial}@example.com")).await;
        let order =
            app.with_session(Method::POST, "/api/orders", &buyer, Some(&json!({ "ticketId": ticket_id }))).await;
        let order_id = order.body["id"].as_str().unwrap().to_owned();
        one_of_eight_clicks_pays(&app, &buyer, &order_id).await;
        assert_eq!(order_of(&app, &buyer, &order_id).await["status"], "complete", "trial {trial}");
        assert_eq!(app.get(&format!("/api/tickets/{ticket_id}")).await.body["status"], "sold", "trial {trial}");
        let recorded = payments_of(&app, &buyer, &order_id).await;
        assert_eq!((recorded.len(), recorded[0]["status"].as_str()), (1, Some("succeeded")), "trial {trial}");
        let intent = recorded[0]["stripeId"].as_str().unwrap();
        assert_eq!(stripe.get_intent(intent).await.unwrap().status, domain::entities::IntentStatus::Succeeded);
        assert_eq!(stripe.refund_of(intent).await.unwrap(), None, "trial {trial}: the sale was refunded");
    }
}

#[tokio::test]
async fn paying_needs_a_session_a_body_and_ones_own_live_order() {
    let app = spawn_app().await;
    let (buyer, order_id, _) = ordered(&app).await;
    let stranger = app.session("stranger@example.com").await;

    let signed_out = app.send(app.client.post(app.url("/api/payments")).json(&json!({ "orderId": order_id }))).await;
    assert_eq!(signed_out.status, 401);
    let missing =
        app.with_session(Method::POST, "/api/payments", &buyer, Some(&json!({ "token": "pm_card_visa" }))).await;
    assert_eq!((missing.status, missing.fields()), (400, vec![Some("orderId")]));
    let bad_token = app
        .with_session(Method::POST, "/api/payments", &buyer, Some(&json!({ "orderId": order_id, "token": 7 })))
        .await;
    assert_eq!((bad_token.status, bad_token.fields()), (400, vec![Some("token")]));
    assert_eq!(pay(&app, &buyer, "01KAAAAAAAAAAAAAAAAAAAAAAA", None).await.status, 404);
    let theirs = pay(&app, &stranger, &order_id, Some("pm_card_visa")).await;
    assert_eq!(theirs.status, 403);
    let unknown_card = pay(&app, &buyer, &order_id, Some("pm_card_nope")).await;
    assert_eq!((unknown_card.status, unknown_card.messages()), (402, vec!["No such PaymentMethod: 'pm_card_nope'"]));

    app.with_session(Method::DELETE, &format!("/api/orders/{order_id}"), &buyer, None).await;
    let cancelled = pay(&app, &buyer, &order_id, Some("pm_card_visa")).await;
    assert_eq!((cancelled.status, cancelled.messages()), (409, vec!["Cannot pay for a cancelled order"]));

    assert_eq!(app.with_session(Method::GET, "/api/payments", &buyer, None).await.status, 400);
    assert_eq!(
        app.with_session(Method::GET, &format!("/api/payments?orderId={order_id}"), &stranger, None).await.status,
        403
    );
}

#[tokio::test]
async fn a_lapsed_reservation_cannot_be_paid() {
    let mut config = local::LocalConfig::for_tests();
    config.reservation_timeout = ReservationTimeout(Duration::from_secs(1));
    let app = spawn_app_configured(config, Vec::new()).await;
    let (buyer, order_id, _) = ordered(&app).await;
    eventually("the reservation to lapse", || async {
        let state = app.with_session(Method::GET, &format!("/api/expiration/{order_id}"), &buyer, None).await.body;
        (state["secondsRemaining"] == 0).then_some(())
    })
    .await;
    let late = pay(&app, &buyer, &order_id, Some("pm_card_visa")).await;
    assert_eq!((late.status, late.messages()), (409, vec!["Cannot pay for a cancelled order"]));
}

// Webhooks.

fn intent_object(intent: &str, order_id: &str, status: &str) -> Value {
    json!({ "id": intent, "object": "payment_intent", "amount": 4500, "currency": "usd", "status": status,
            "metadata": { "order_id": order_id, "user_id": "someone" } })
}

async fn deliver(app: &TestApp, body: &str, signature: Option<String>) -> Reply {
    app.deliver(body, signature).await
}

async fn deliver_signed(app: &TestApp, body: &str) -> Reply {
    app.deliver_signed(body).await
}

/// An order paid in the browser (Stripe.js): its intent succeeded; the webhook has not come yet.
/// An order paid in one step with a card: buyer, order, ticket and the charged intent.
async fn sold(app: &TestApp) -> (String, String, String, String) {
    let (buyer, order_id, ticket_id) = ordered(app).await;
    let paid = pay(app, &buyer, &order_id, Some("pm_card_visa")).await;
    assert_eq!(paid.status, 201, "{}", paid.body);
    (buyer, order_id, ticket_id, paid.body["stripeId"].as_str().unwrap().to_owned())
}

async fn paid_in_browser(app: &TestApp) -> (String, String, String, String) {
    let (buyer, order_id, ticket_id) = ordered(app).await;
    let started = pay(app, &buyer, &order_id, None).await;
    let intent = started.body["stripeId"].as_str().unwrap().to_owned();
    app.gateway.as_ref().unwrap().complete_in_browser(&intent).unwrap();
    (buyer, order_id, ticket_id, intent)
}

#[tokio::test]
async fn a_signed_succeeded_event_completes_the_order_once() {
    let app = spawn_app().await;
    let (buyer, order_id, ticket_id, intent) = paid_in_browser(&app).await;
    let body = succeeded_now("evt_paid", &intent, &order_id);

    let reply = deliver_signed(&app, &body).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let order = order_of(&app, &buyer, &order_id).await;
    assert_eq!((order["status"].as_str(), order["version"].as_u64()), (Some("complete"), Some(2)));
    assert_eq!(app.get(&format!("/api/tickets/{ticket_id}")).await.body["status"], "sold");

    assert_eq!(deliver_signed(&app, &body).await.status, 200, "a redelivery is acknowledged");
    let again = succeeded_now("evt_paid_again", &intent, &order_id);
    assert_eq!(deliver_signed(&app, &again).await.status, 200);
    assert_eq!(order_of(&app, &buyer, &order_id).await["version"], 2, "nothing changed twice");
    assert_eq!(payments_of(&app, &buyer, &order_id).await[0]["status"], "succeeded");
}

#[tokio::test]
async fn missing_tampered_stale_and_foreign_signatures_are_400_and_change_nothing() {
    let app = spawn_app().await;
    let (buyer, order_id, _, intent) = paid_in_browser(&app).await;
    let body = succeeded_now("evt_1", &intent, &order_id);
    let secret = Secret::new(local::LOCAL_WEBHOOK_SECRET);
    let now = chrono::Utc::now().timestamp();

    let missing = deliver(&app, &body, None).await;
    let tampered =
        deliver(&app, &body.replace("4500", "1"), Some(stripe_webhook::sign(body.as_bytes(), &secret, now))).await;
    let stale = deliver(&app, &body, Some(stripe_webhook::sign(body.as_bytes(), &secret, now - 301))).await;
    let foreign =
        deliver(&app, &body, Some(stripe_webhook::sign(body.as_bytes(), &Secret::new("whsec_someone_else"), now)))
            .await;
    for (name, reply) in [("missing", missing), ("tampered", tampered), ("stale", stale), ("foreign", foreign)] {
        assert_eq!(reply.status, 400, "{name}: {}", reply.body);
        assert_eq!(reply.fields(), vec![None], "{name}");
    }
    assert_eq!(order_of(&app, &buyer, &order_id).await["status"], "awaiting:payment");
}

#[tokio::test]
async fn a_failure_arriving_after_the_success_changes_nothing() {
    let app = spawn_app().await;
    let (buyer, order_id, _, intent) = paid_in_browser(&app).await;
    let now = chrono::Utc::now().timestamp();
    let succeeded =
        stripe_event("evt_ok", "payment_intent.succeeded", now, intent_object(&intent, &order_id, "succeeded"));
    let mut failed_object = intent_object(&intent, &order_id, "requires_payment_method");
    failed_object["last_payment_error"] = json!({ "message": "Your card was declined." });
    let failed = stripe_event("evt_failed", "payment_intent.payment_failed", now - 5, failed_object);

    assert_eq!(deliver_signed(&app, &succeeded).await.status, 200);
    assert_eq!(deliver_signed(&app, &failed).await.status, 200);
    assert_eq!(payments_of(&app, &buyer, &order_id).await[0]["status"], "succeeded");
    assert_eq!(order_of(&app, &buyer, &order_id).await["status"], "complete");
}

#[tokio::test]
async fn a_failed_attempt_is_recorded_and_other_event_types_are_acknowledged() {
    let app = spawn_app().await;
    let (buyer, order_id, _) = ordered(&app).await;
    let intent = pay(&app, &buyer, &order_id, None).await.body["stripeId"].as_str().unwrap().to_owned();
    let mut object = intent_object(&intent, &order_id, "requires_payment_method");
    object["last_payment_error"] = json!({ "message": "Your card has insufficient funds." });
    let failed = stripe_event("evt_failed", "payment_intent.payment_failed", chrono::Utc::now().timestamp(), object);
    assert_eq!(deliver_signed(&app, &failed).await.status, 200);
    let recorded = payments_of(&app, &buyer, &order_id).await;
    assert_eq!(recorded[0]["failureMessage"], "Your card has insufficient funds.");

    let other = stripe_event("evt_other", "customer.created", 0, json!({ "id": "cus_1" }));
    assert_eq!(deliver_signed(&app, &other).await.status, 200);
    assert_eq!(deliver_signed(&app, "not json at all").await.status, 400);
}

#[tokio::test]
async fn a_payment_that_succeeds_after_the_reservation_lapsed_is_refunded() {
    let mut config = local::LocalConfig::for_tests();
    config.reservation_timeout = ReservationTimeout(Duration::from_secs(1));
    let app = spawn_app_configured(config, Vec::new()).await;
    let (buyer, order_id, ticket_id) = ordered(&app).await;
    let intent = pay(&app, &buyer, &order_id, None).await.body["stripeId"].as_str().unwrap().to_owned();
    // The buyer's bank confirms after the reservation lapsed (and before the intent could be
    // cancelled): the expiry finds it succeeded, too late.
    let lapsed = chrono::Utc::now() + chrono::Duration::seconds(5);
    app.gateway.as_ref().unwrap().complete_in_browser_at(&intent, lapsed).unwrap();
    eventually("the expiry", || async {
        (order_of(&app, &buyer, &order_id).await["status"] == "cancelled").then_some(())
    })
    .await;

    // Stripe's event times are whole seconds: a second past now is clearly past expiresAt.
    let late = chrono::Utc::now().timestamp() + 1;
    let body =
        stripe_event("evt_late", "payment_intent.succeeded", late, intent_object(&intent, &order_id, "succeeded"));
    assert_eq!(deliver_signed(&app, &body).await.status, 200);

    let recorded = payments_of(&app, &buyer, &order_id).await;
    assert_eq!(recorded[0]["status"], "refunded", "no money for a dead order");
    assert_eq!(order_of(&app, &buyer, &order_id).await["status"], "cancelled");
    assert_eq!(app.get(&format!("/api/tickets/{ticket_id}")).await.body["status"], "available", "never sold");
    eventually("the refund notice", || async {
        notification_kinds(&app, &buyer).await.contains(&"payment.refunded".to_owned()).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_payment_made_in_time_whose_webhook_is_late_completes_the_order_at_its_expiry() {
    let mut config = local::LocalConfig::for_tests();
    config.reservation_timeout = ReservationTimeout(Duration::from_secs(2));
    let app = spawn_app_configured(config, Vec::new()).await;
    let (buyer, order_id, ticket_id, intent) = paid_in_browser(&app).await;
    let paid_at = chrono::Utc::now().timestamp();
    // The expiry asks the gateway before it cancels: the intent succeeded, so the order is
    // completed, and the ticket is never offered to someone else meanwhile.
    eventually("the expiry", || async {
        (order_of(&app, &buyer, &order_id).await["status"] == "complete").then_some(())
    })
    .await;
    assert_eq!(app.get(&format!("/api/tickets/{ticket_id}")).await.body["status"], "sold");
    let latecomer = app.session("latecomer@example.com").await;
    let taken =
        app.with_session(Method::POST, "/api/orders", &latecomer, Some(&json!({ "ticketId": ticket_id }))).await;
    assert_eq!(taken.status, 409);

    let body = stripe_event(
        "evt_on_time",
        "payment_intent.succeeded",
        paid_at,
        intent_object(&intent, &order_id, "succeeded"),
    );
    assert_eq!(deliver_signed(&app, &body).await.status, 200);
    assert_eq!(order_of(&app, &buyer, &order_id).await["status"], "complete");
    assert_eq!(payments_of(&app, &buyer, &order_id).await[0]["status"], "succeeded", "never refunded");
}

/// Stripe's `payment_intent.succeeded` for `intent` of `order_id`, made now.
fn succeeded_now(id: &str, intent: &str, order_id: &str) -> String {
    stripe_event(
        id,
        "payment_intent.succeeded",
        chrono::Utc::now().timestamp(),
        intent_object(intent, order_id, "succeeded"),
    )
}

#[tokio::test]
async fn a_full_refund_made_at_stripe_ends_the_order_refunded_and_the_ticket_stays_off_the_market() {
    let app = spawn_app().await;
    let (buyer, order_id, ticket_id, intent) = sold(&app).await;
    let intent = intent.as_str();
    assert_eq!(deliver_signed(&app, &charge_refunded("evt_refund", intent, 4500)).await.status, 200);
    let payment = &payments_of(&app, &buyer, &order_id).await[0];
    assert_eq!((payment["status"].as_str(), &payment["amountRefunded"]), (Some("refunded"), &json!(45.0)));
    let order = order_of(&app, &buyer, &order_id).await;
    assert_eq!(order["status"], "refunded");
    assert!(order["refundedAt"].as_str().is_some(), "the refund is recorded on the order: {order}");
    assert_eq!(app.get(&format!("/api/tickets/{ticket_id}")).await.body["status"], "sold", "not for sale again");
    let cancel = app.with_session(Method::DELETE, &format!("/api/orders/{order_id}"), &buyer, None).await;
    assert_eq!(cancel.status, 409);
    assert_eq!(deliver_signed(&app, &charge_refunded("evt_refund_again", intent, 4500)).await.status, 200);
    assert_eq!(order_of(&app, &buyer, &order_id).await, order, "a second report changes nothing");
    eventually("the refund notice", || async {
        notification_kinds(&app, &buyer).await.contains(&"payment.refunded".to_owned()).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_refund_reported_before_the_payment_ends_the_open_order_and_frees_its_ticket() {
    let app = spawn_app().await;
    let (buyer, order_id, ticket_id, intent) = paid_in_browser(&app).await;
    assert_eq!(deliver_signed(&app, &charge_refunded("evt_refund_first", &intent, 4500)).await.status, 200);
    let order = order_of(&app, &buyer, &order_id).await;
    assert_eq!(order["status"], "refunded", "never left open: {order}");
    assert_eq!(app.get(&format!("/api/tickets/{ticket_id}")).await.body["status"], "available");
    let succeeded = succeeded_now("evt_success_after_refund", &intent, &order_id);
    assert_eq!(deliver_signed(&app, &succeeded).await.status, 200);
    assert_eq!(order_of(&app, &buyer, &order_id).await, order, "the late success completes nothing");
    assert_eq!(payments_of(&app, &buyer, &order_id).await[0]["status"], "refunded");
    let again = app.with_session(Method::POST, "/api/payments", &buyer, Some(&json!({ "orderId": order_id }))).await;
    assert_eq!(
        (again.status, again.body["errors"][0]["message"].as_str()),
        (409, Some("Cannot pay for a refunded order"))
    );
}

fn dispute(id: &str, kind: &str, intent: &str, status: &str) -> String {
    let object = json!({ "id": "dp_1", "object": "dispute", "charge": "ch_1", "payment_intent": intent,
        "amount": 4500, "currency": "usd", "status": status });
    stripe_event(id, kind, chrono::Utc::now().timestamp(), object)
}

#[tokio::test]
async fn a_disputed_sale_is_on_hold_until_won_and_every_report_counts_once() {
    let app = spawn_app().await;
    let (buyer, order_id, ticket_id, intent) = sold(&app).await;
    let intent = intent.as_str();
    let opened = dispute("evt_dispute", "charge.dispute.created", intent, "needs_response");
    assert_eq!(deliver_signed(&app, &opened).await.status, 200);
    let held = order_of(&app, &buyer, &order_id).await;
    assert_eq!(held["status"], "disputed");
    assert_eq!(app.get(&format!("/api/tickets/{ticket_id}")).await.body["status"], "sold");
    for again in [opened.clone(), dispute("evt_dispute_again", "charge.dispute.created", intent, "under_review")] {
        assert_eq!(deliver_signed(&app, &again).await.status, 200);
        assert_eq!(order_of(&app, &buyer, &order_id).await, held, "a repeated report changes nothing");
    }
    eventually("the dispute notice", || async {
        notification_kinds(&app, &buyer).await.contains(&"payment.disputed".to_owned()).then_some(())
    })
    .await;
    assert_eq!(pay(&app, &buyer, &order_id, Some("pm_card_visa")).await.status, 409);

    let won = dispute("evt_won", "charge.dispute.closed", intent, "won");
    assert_eq!(deliver_signed(&app, &won).await.status, 200);
    assert_eq!(order_of(&app, &buyer, &order_id).await["status"], "complete");
    assert_eq!(payments_of(&app, &buyer, &order_id).await[0]["status"], "succeeded", "the money stays");
    let late = dispute("evt_late_opening", "charge.dispute.created", intent, "needs_response");
    assert_eq!(deliver_signed(&app, &late).await.status, 200);
    assert_eq!(order_of(&app, &buyer, &order_id).await["status"], "complete", "an opening after the decision");
}

#[tokio::test]
async fn a_lost_dispute_is_a_full_refund_whatever_order_its_reports_come_in() {
    for opened_first in [true, false] {
        let app = spawn_app().await;
        let (buyer, order_id, ticket_id, intent) = sold(&app).await;
        let intent = intent.as_str();
        let opened = dispute("evt_opened", "charge.dispute.created", intent, "needs_response");
        let lost = dispute("evt_lost", "charge.dispute.closed", intent, "lost");
        let reports = if opened_first { [opened, lost] } else { [lost, opened] };
        for report in &reports {
            assert_eq!(deliver_signed(&app, report).await.status, 200);
        }
        let order = order_of(&app, &buyer, &order_id).await;
        assert_eq!(order["status"], "refunded", "opened first: {opened_first}");
        assert!(order["refundedAt"].is_string());
        let payment = &payments_of(&app, &buyer, &order_id).await[0];
        assert_eq!((payment["status"].as_str(), &payment["amountRefunded"]), (Some("refunded"), &json!(45.0)));
        assert_eq!(app.get(&format!("/api/tickets/{ticket_id}")).await.body["status"], "sold", "off the market");
        assert!(app.gateway.as_ref().unwrap().ledger().iter().all(|(_, _, refunded)| !refunded), "the bank took it");
    }
}

#[tokio::test]
async fn a_partial_refund_is_recorded_as_partial_and_the_sale_stands() {
    let app = spawn_app().await;
    let (buyer, order_id, ticket_id, intent) = sold(&app).await;
    let intent = intent.as_str();
    assert_eq!(deliver_signed(&app, &charge_refunded("evt_partial", intent, 1000)).await.status, 200);
    let payment = &payments_of(&app, &buyer, &order_id).await[0];
    assert_eq!((payment["status"].as_str(), &payment["amountRefunded"]), (Some("succeeded"), &json!(10.0)));
    let order = order_of(&app, &buyer, &order_id).await;
    assert_eq!((order["status"].as_str(), &order["refundedAt"]), (Some("complete"), &Value::Null));
    assert_eq!(app.get(&format!("/api/tickets/{ticket_id}")).await.body["status"], "sold");
}

#[tokio::test]
async fn a_succeeded_intent_whose_amount_currency_or_mode_differs_is_refunded_and_its_order_left_to_lapse() {
    let now = chrono::Utc::now().timestamp();
    type Change = fn(&mut Value);
    let changes: [(&str, Change); 3] = [
        ("amount", |event| event["data"]["object"]["amount"] = json!(1)),
        ("currency", |event| event["data"]["object"]["currency"] = json!("eur")),
        ("mode", |event| event["livemode"] = json!(true)),
    ];
    for (what, change) in changes {
        let app = spawn_app().await;
        let (buyer, order_id, ticket_id, intent) = paid_in_browser(&app).await;
        let mut event: Value = serde_json::from_str(&stripe_event(
            "evt_changed",
            "payment_intent.succeeded",
            now,
            intent_object(&intent, &order_id, "succeeded"),
        ))
        .unwrap();
        change(&mut event);
        for _ in 0..2 {
            let reply = deliver_signed(&app, &event.to_string()).await;
            assert_eq!(reply.status, 200, "{what}: acknowledged, so Stripe stops sending it");
        }
        assert_eq!(order_of(&app, &buyer, &order_id).await["status"], "awaiting:payment", "{what}");
        assert_eq!(app.get(&format!("/api/tickets/{ticket_id}")).await.body["status"], "reserved", "{what}");
        let payment = &payments_of(&app, &buyer, &order_id).await[0];
        assert_eq!(
            (payment["status"].as_str(), payment["failureMessage"].as_str()),
            (Some("refunded"), Some(domain::entities::MISMATCH)),
            "{what}"
        );
        let ledger = app.gateway.as_ref().unwrap().ledger();
        let refunds: Vec<bool> = ledger.iter().filter(|(_, charged, _)| charged.id == intent).map(|e| e.2).collect();
        assert_eq!(refunds, [true], "{what}: the money went back, once");
        let again = pay(&app, &buyer, &order_id, Some("pm_card_visa")).await;
        assert_eq!(again.status, 409, "{what}: {}", again.body);
    }
}

#[tokio::test]
async fn an_oversized_webhook_body_is_413_and_a_flood_of_signatures_400() {
    let app = spawn_app().await;
    let now = chrono::Utc::now().timestamp();
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(70 * 1024));
    let signed = stripe_webhook::sign(big.as_bytes(), &Secret::new(local::LOCAL_WEBHOOK_SECRET), now);
    assert_eq!(deliver(&app, &big, Some(signed)).await.status, 413);
    let body = stripe_event("evt_1", "customer.created", now, json!({ "id": "cus_1" }));
    let good = stripe_webhook::sign(body.as_bytes(), &Secret::new(local::LOCAL_WEBHOOK_SECRET), now);
    let flood = format!("{},{}", vec!["v1=00"; 100].join(","), good);
    assert_eq!(deliver(&app, &body, Some(flood)).await.status, 400);
}

#[tokio::test]
async fn with_stripe_the_browser_flow_completes_through_stripes_own_signed_webhook() {
    let endpoint = ticketing_tests::localstripe::endpoint();
    let secret = format!("whsec_{}", ulid::Ulid::new());
    let mut config = local::LocalConfig::for_tests();
    config.stripe = Some(ticketing_tests::localstripe::key());
    config.webhook_secret = stripe_adapter::WebhookSecret(Secret::new(secret.clone()));
    let app = spawn_app_configured(config, Vec::new()).await;
    let stripe = reqwest::Client::new();
    let hook = format!("{endpoint}/_config/webhooks/{}", ulid::Ulid::new());
    let url = app.url("/api/payments/webhook");
    let registered =
        stripe.post(hook).form(&[("url", url.as_str()), ("secret", secret.as_str())]).send().await.unwrap();
    assert!(registered.status().is_success());

    let (buyer, order_id, ticket_id) = ordered(&app).await;
    let started = pay(&app, &buyer, &order_id, None).await;
    assert_eq!(started.status, 201, "{}", started.body);
    let intent = started.body["stripeId"].as_str().unwrap().to_owned();

    // What Stripe.js does in the buyer's browser.
    for (path, form) in [
        (format!("/v1/payment_intents/{intent}"), vec![("payment_method", "pm_card_visa")]),
        (format!("/v1/payment_intents/{intent}/confirm"), vec![]),
    ] {
        let reply = stripe
            .post(format!("{endpoint}{path}"))
            .basic_auth("sk_test_localstripe", Some(""))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert!(reply.status().is_success(), "{path}: {}", reply.text().await.unwrap());
    }

    eventually("Stripe's webhook to complete the order", || async {
        (order_of(&app, &buyer, &order_id).await["status"] == "complete").then_some(())
    })
    .await;
    assert_eq!(app.get(&format!("/api/tickets/{ticket_id}")).await.body["status"], "sold");
    assert_eq!(payments_of(&app, &buyer, &order_id).await[0]["status"], "succeeded");
}

#[tokio::test]
async fn a_transient_failure_is_a_500_so_that_stripe_retries_and_the_retry_is_processed() {
    let app = spawn_app().await;
    let (buyer, order_id, _) = ordered(&app).await;
    let intent = pay(&app, &buyer, &order_id, None).await.body["stripeId"].as_str().unwrap().to_owned();

    // The event says the intent succeeded for another amount (so it is to be refunded), but
    // the provider does not have it succeeded yet, so the refund fails: the webhook must not
    // acknowledge it.
    let mut changed = intent_object(&intent, &order_id, "succeeded");
    changed["amount"] = json!(1);
    let body = stripe_event("evt_retry", "payment_intent.succeeded", chrono::Utc::now().timestamp(), changed);
    let failed = deliver_signed(&app, &body).await;
    assert_eq!((failed.status, failed.messages()), (500, vec!["Something went wrong"]));
    // The decision to refund is claimed before the gateway is asked: the retry finishes it.
    assert_eq!(payments_of(&app, &buyer, &order_id).await[0]["status"], "refunding");

    app.gateway.as_ref().unwrap().complete_in_browser(&intent).unwrap();
    assert_eq!(deliver_signed(&app, &body).await.status, 200, "the retried event is processed, not deduplicated");
    assert_eq!(payments_of(&app, &buyer, &order_id).await[0]["status"], "refunded");
}

#[tokio::test]
async fn a_card_sent_after_the_browser_already_paid_charges_nothing_and_completes_the_order() {
    let app = spawn_app().await;
    let (buyer, order_id, ticket_id, _) = paid_in_browser(&app).await;
    let again = pay(&app, &buyer, &order_id, Some("pm_card_visa")).await;
    assert_eq!((again.status, again.messages()), (409, vec!["Order is already paid"]));
    assert_eq!(order_of(&app, &buyer, &order_id).await["status"], "complete");
    assert_eq!(app.get(&format!("/api/tickets/{ticket_id}")).await.body["status"], "sold");
}

#[tokio::test]
async fn cancelling_an_order_cancels_its_intent_so_the_browser_can_no_longer_pay_it() {
    let app = spawn_app().await;
    let (buyer, order_id, ticket_id) = ordered(&app).await;
    let started = pay(&app, &buyer, &order_id, None).await;
    let intent = started.body["stripeId"].as_str().unwrap().to_owned();
    let cancel = app.with_session(Method::DELETE, &format!("/api/orders/{order_id}"), &buyer, None).await;
    assert_eq!(cancel.status, 204);
    eventually("the intent's cancellation", || async {
        (payments_of(&app, &buyer, &order_id).await[0]["status"] == "canceled").then_some(())
    })
    .await;
    assert!(app.gateway.as_ref().unwrap().complete_in_browser(&intent).is_err(), "its secret pays nothing");
    let payment = &payments_of(&app, &buyer, &order_id).await[0];
    assert!(payment.get("clientSecret").is_none(), "nor is it handed out: {payment}");
    assert_eq!(app.get(&format!("/api/tickets/{ticket_id}")).await.body["status"], "available");
}

/// The seller's payouts, signed in as the seller of `ordered`.
async fn payouts_of_seller(app: &TestApp) -> Vec<Value> {
    let seller = app.signin("seller@example.com", "correct horse battery").await.session_cookie().expect("signed in");
    let reply = app.with_session(Method::GET, "/api/payouts", &seller, None).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body.as_array().unwrap().clone()
}

#[tokio::test]
async fn a_sale_gives_its_seller_one_payout_of_the_price_less_the_agreed_fee() {
    let app = spawn_app().await;
    let (buyer, order_id, ticket_id, intent) = sold(&app).await;
    let payouts = payouts_of_seller(&app).await;
    let [payout] = payouts.as_slice() else { panic!("one payout per sale: {payouts:?}") };
    // 45.00 at 5 % plus 0.50: a fee of 2.75.
    assert_eq!(
        (&payout["orderId"], &payout["ticketId"], &payout["amount"], &payout["fee"], &payout["net"]),
        (&json!(order_id), &json!(ticket_id), &json!(45.0), &json!(2.75), &json!(42.25))
    );
    assert_eq!((payout["status"].as_str(), payout["currency"].as_str()), (Some("scheduled"), Some("usd")));
    let release: chrono::DateTime<chrono::Utc> = payout["releaseAt"].as_str().unwrap().parse().unwrap();
    let created: chrono::DateTime<chrono::Utc> = payout["createdAt"].as_str().unwrap().parse().unwrap();
    assert_eq!(release - created, chrono::Duration::days(3), "no date: three days after the sale");

    // The buyer sold nothing; a redelivered success makes no second payout.
    let mine = app.with_session(Method::GET, "/api/payouts", &buyer, None).await;
    assert_eq!((mine.status, mine.body.clone()), (200, json!([])));
    assert_eq!(deliver_signed(&app, &succeeded_now("evt_again", &intent, &order_id)).await.status, 200);
    assert_eq!(payouts_of_seller(&app).await.len(), 1);
    assert_eq!(app.get("/api/payouts").await.status, 401);
}

#[tokio::test]
async fn refunds_and_disputes_before_release_change_the_payout_in_the_same_change_as_the_sale() {
    let app = spawn_app().await;
    let (_, _, _, intent) = sold(&app).await;
    let intent = intent.as_str();
    let payout = || async { payouts_of_seller(&app).await.remove(0) };

    // 10.00 back: the fee is taken on the 35.00 left (1.75 + 0.50).
    assert_eq!(deliver_signed(&app, &charge_refunded("evt_partial", intent, 1000)).await.status, 200);
    let partly = payout().await;
    assert_eq!((&partly["amount"], &partly["fee"], &partly["net"]), (&json!(35.0), &json!(2.25), &json!(32.75)));
    assert_eq!(partly["status"], "scheduled");

    let opened = dispute("evt_dispute", "charge.dispute.created", intent, "needs_response");
    assert_eq!(deliver_signed(&app, &opened).await.status, 200);
    let held = payout().await;
    assert_eq!((held["status"].as_str(), &held["heldFor"]), (Some("held"), &json!(["dispute"])));
    let won = dispute("evt_won", "charge.dispute.closed", intent, "won");
    assert_eq!(deliver_signed(&app, &won).await.status, 200);
    assert_eq!((payout().await["status"].as_str(), &payout().await["heldFor"]), (Some("scheduled"), &json!([])));

    assert_eq!(deliver_signed(&app, &charge_refunded("evt_full", intent, 4500)).await.status, 200);
    let cancelled = payout().await;
    assert_eq!(
        (cancelled["status"].as_str(), &cancelled["amount"], &cancelled["fee"], &cancelled["net"]),
        (Some("cancelled"), &json!(0.0), &json!(0.0), &json!(0.0))
    );
}

/// The runner with payouts released one second after a sale.
async fn paying_out_at_once() -> TestApp {
    let terms = domain::entities::PayoutTerms { hold_seconds: 1, ..Default::default() };
    spawn_app_configured(local::LocalConfig { payout_terms: terms, ..local::LocalConfig::for_tests() }, Vec::new())
        .await
}

/// The seller's session, their address verified (connecting a payout account asks for it).
async fn seller_session(app: &TestApp) -> String {
    let session = app.signin("seller@example.com", "correct horse battery").await.session_cookie().expect("signed in");
    app.verify_email("seller@example.com", &session).await;
    session
}

/// What the seller does on the stand-in of the provider's onboarding: submits its form.
async fn onboard(app: &TestApp, link: &str) -> reqwest::Response {
    let query = link.split_once('?').map(|(_, query)| query).expect("a query");
    let fields: Vec<(String, String)> = url_form(query);
    let account = fields.iter().find(|(name, _)| name == "account").map(|(_, value)| value.clone()).unwrap();
    let back = fields.iter().find(|(name, _)| name == "return").map(|(_, value)| value.clone()).unwrap();
    let page = reqwest::get(link).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Complete onboarding"));
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    client
        .post(format!("{}{}", app.address, local::ONBOARDING))
        .form(&[("account", account), ("return", back)])
        .send()
        .await
        .unwrap()
}

fn url_form(query: &str) -> Vec<(String, String)> {
    let uri: axum::http::Uri = format!("/?{query}").parse().unwrap();
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&uri).unwrap().0
}

async fn payout_status(app: &TestApp, seller: &str, order_id: &str) -> Value {
    let reply = app.with_session(Method::GET, "/api/payouts", seller, None).await;
    reply.body.as_array().unwrap().iter().find(|payout| payout["orderId"] == order_id).cloned().unwrap()
}

#[tokio::test]
async fn a_seller_without_a_payout_account_is_held_and_paid_once_they_onboard() {
    let app = paying_out_at_once().await;
    let (_, order_id, _, _) = sold(&app).await;
    let seller = seller_session(&app).await;
    let account = app.with_session(Method::GET, "/api/payouts/account", &seller, None).await;
    assert_eq!((account.status, account.body.clone()), (200, json!({ "status": "none", "payoutsEnabled": false })));
    let held = eventually("the release, held", || async {
        let payout = payout_status(&app, &seller, &order_id).await;
        (payout["status"] == "held").then_some(payout)
    })
    .await;
    assert_eq!(held["heldFor"], json!(["no_account"]));

    let link = app.with_session(Method::POST, "/api/payouts/account", &seller, Some(&json!({}))).await;
    assert_eq!(link.status, 201, "{}", link.body);
    let url = link.body["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&format!("{}{}?", app.address, local::ONBOARDING)), "{url}");
    let pending = app.with_session(Method::GET, "/api/payouts/account", &seller, None).await;
    assert_eq!(pending.body, json!({ "status": "pending", "payoutsEnabled": false }));

    let back = onboard(&app, &url).await;
    assert_eq!(back.status(), 303);
    assert_eq!(back.headers()["location"], format!("{}/#/payouts", app.address).as_str(), "back on the web client");
    let enabled = app.with_session(Method::GET, "/api/payouts/account", &seller, None).await;
    assert_eq!((enabled.body["status"].as_str(), &enabled.body["payoutsEnabled"]), (Some("enabled"), &json!(true)));
    assert!(enabled.body["dashboardUrl"].is_string());
    let paid = payout_status(&app, &seller, &order_id).await;
    assert_eq!((paid["status"].as_str(), &paid["heldFor"]), (Some("paid"), &json!([])), "released as it was enabled");
    let transfers = app.gateway.as_ref().unwrap().transfers();
    let [transfer] = transfers.as_slice() else { panic!("one transfer: {transfers:?}") };
    assert_eq!((transfer.order.as_str(), transfer.amount.minor()), (order_id.as_str(), 4225), "the net");

    // The seller is told, on the page and by mail linking to their payouts.
    let told = eventually("the seller's payout notice", || async {
        let list = app.with_session(Method::GET, "/api/notifications", &seller, None).await.body;
        list.as_array()?.iter().find(|notice| notice["kind"] == "payout.paid").cloned()
    })
    .await;
    assert_eq!(told["orderId"], order_id.as_str());
    assert!(told["message"].as_str().unwrap().contains("42.25 USD"), "{told}");
    let mail = eventually("the seller's payout mail", || async {
        let mail = app.get("/_local/mail").await.body;
        mail.as_array()?.iter().find(|mail| mail["subject"] == "Your payout was sent").cloned()
    })
    .await;
    assert_eq!(mail["to"], "seller@example.com");
    assert!(mail["text"].as_str().unwrap().contains(&format!("{}/#/payouts", app.address)), "{mail}");
}

#[tokio::test]
async fn an_onboarded_sellers_sale_is_paid_after_the_hold_and_a_later_refund_reversed() {
    let app = paying_out_at_once().await;
    let seller = app.session("seller@example.com").await;
    app.verify_email("seller@example.com", &seller).await;
    let link = app.with_session(Method::POST, "/api/payouts/account", &seller, Some(&json!({}))).await;
    assert_eq!(onboard(&app, link.body["url"].as_str().unwrap()).await.status(), 303);
    let ticket = app.create_ticket(&seller, &json!({ "title": "Concert", "price": 45.00 })).await.body;
    app.attach_pdf(&seller, ticket["id"].as_str().unwrap()).await;
    let buyer = app.session("buyer@example.com").await;
    let order = app.with_session(Method::POST, "/api/orders", &buyer, Some(&json!({ "ticketId": ticket["id"] }))).await;
    let order_id = order.body["id"].as_str().unwrap().to_owned();
    let paid = pay(&app, &buyer, &order_id, Some("pm_card_visa")).await;
    let intent = paid.body["stripeId"].as_str().unwrap().to_owned();
    assert_eq!(payout_status(&app, &seller, &order_id).await["status"], "scheduled", "held until the hold ends");
    eventually("the payout", || async {
        (payout_status(&app, &seller, &order_id).await["status"] == "paid").then_some(())
    })
    .await;

    // 10.00 back after the release: the seller's net goes from 42.25 to 32.75.
    assert_eq!(deliver_signed(&app, &charge_refunded("evt_partial", &intent, 1000)).await.status, 200);
    let reversed = eventually("the reversal", || async {
        let payout = payout_status(&app, &seller, &order_id).await;
        (payout["status"] == "reversed").then_some(payout)
    })
    .await;
    assert_eq!((&reversed["reversed"], &reversed["net"], &reversed["fee"]), (&json!(9.5), &json!(32.75), &json!(2.25)));
    let transfers = app.gateway.as_ref().unwrap().transfers();
    assert_eq!(transfers.len(), 1, "one transfer");
    assert_eq!(transfers[0].reversals.iter().map(|(_, amount)| amount.minor()).collect::<Vec<_>>(), [950]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_for_an_onboarding_link_make_one_payout_account() {
    let app = spawn_app().await;
    let seller = app.session("seller@example.com").await;
    app.verify_email("seller@example.com", &seller).await;
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (app, seller) = (app.clone(), seller.clone());
        racers.spawn(
            async move { app.with_session(Method::POST, "/api/payouts/account", &seller, Some(&json!({}))).await },
        );
    }
    let links = racers.join_all().await;
    let accounts: std::collections::BTreeSet<String> = links
        .iter()
        .map(|link| {
            assert_eq!(link.status, 201, "{}", link.body);
            let query = link.body["url"].as_str().unwrap().split_once('?').unwrap().1.to_owned();
            url_form(&query).into_iter().find(|(name, _)| name == "account").unwrap().1
        })
        .collect();
    assert_eq!(accounts.len(), 1, "{accounts:?}");
    let unsigned = app.post_json("/api/payouts/account", &json!({})).await;
    assert_eq!(unsigned.status, 401);
}

#[tokio::test]
async fn a_buyers_problem_report_holds_the_payout_past_its_release_and_a_refund_then_cancels_it() {
    let terms = domain::entities::PayoutTerms { hold_seconds: 2, ..Default::default() };
    let config = local::LocalConfig { payout_terms: terms, ..local::LocalConfig::for_tests() };
    let app = spawn_app_configured(config, Vec::new()).await;
    let seller = app.session("seller@example.com").await;
    app.verify_email("seller@example.com", &seller).await;
    let link = app.with_session(Method::POST, "/api/payouts/account", &seller, Some(&json!({}))).await;
    assert_eq!(onboard(&app, link.body["url"].as_str().unwrap()).await.status(), 303);
    let buyer = app.session("buyer@example.com").await;
    let order_id = ordered_from(&app, &seller, &buyer).await;
    let path = format!("/api/orders/{order_id}/problem");
    let report = json!({ "message": "  The seller never sent the ticket.  " });
    let open = app.with_session(Method::POST, &path, &buyer, Some(&report)).await;
    assert_eq!(
        (open.status, open.body["errors"][0]["message"].as_str()),
        (409, Some("Only a complete order can have a problem reported"))
    );
    let intent = pay(&app, &buyer, &order_id, Some("pm_card_visa")).await.body["stripeId"].as_str().unwrap().to_owned();

    let reported = app.with_session(Method::POST, &path, &buyer, Some(&report)).await;
    assert_eq!(reported.status, 200, "{}", reported.body);
    assert_eq!(reported.body["problem"]["message"], "The seller never sent the ticket.");
    assert!(reported.body["problem"]["reportedAt"].is_string() && reported.body["problem"].get("resolvedAt").is_none());
    assert_eq!(order_of(&app, &buyer, &order_id).await["problem"], reported.body["problem"], "the order shows it");
    let again = app.with_session(Method::POST, &path, &buyer, Some(&json!({ "message": "Hello?" }))).await;
    assert_eq!((again.status, &again.body["problem"]), (200, &reported.body["problem"]), "one open problem");
    for (body, field) in [
        (json!({}), "message"),
        (json!({ "message": " " }), "message"),
        (json!({ "message": "x".repeat(1001) }), "message"),
    ] {
        let bad = app.with_session(Method::POST, &path, &buyer, Some(&body)).await;
        assert_eq!((bad.status, bad.body["errors"][0]["field"].as_str()), (400, Some(field)), "{body}");
    }
    let stranger = app.with_session(Method::POST, &path, &seller, Some(&report)).await;
    assert_eq!(stranger.status, 403);

    // Past the release time, and then some: still held, nothing transferred.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let held = payout_status(&app, &seller, &order_id).await;
    assert_eq!((held["status"].as_str(), &held["heldFor"]), (Some("held"), &json!(["problem"])), "{held}");
    assert!(app.gateway.as_ref().unwrap().transfers().is_empty());

    // Upheld: the operator refunds the charge; the payout is cancelled, never paid.
    assert_eq!(deliver_signed(&app, &charge_refunded("evt_upheld", &intent, 4500)).await.status, 200);
    let cancelled = payout_status(&app, &seller, &order_id).await;
    assert_eq!((cancelled["status"].as_str(), &cancelled["net"]), (Some("cancelled"), &json!(0.0)), "{cancelled}");
    assert_eq!(order_of(&app, &buyer, &order_id).await["status"], "refunded");
    assert!(app.gateway.as_ref().unwrap().transfers().is_empty());
}

/// `body` to the Connect webhook, signed with `secret`.
async fn deliver_connect(app: &TestApp, body: &str, secret: &str) -> Reply {
    let signature = stripe_webhook::sign(body.as_bytes(), &Secret::new(secret), chrono::Utc::now().timestamp());
    let request = app
        .client
        .post(app.url("/api/payouts/webhook"))
        .header("content-type", "application/json; charset=utf-8")
        .header("stripe-signature", signature)
        .body(body.to_owned());
    app.send(request).await
}

fn account_event(id: &str, kind: &str, account: &str, object: Value) -> String {
    json!({ "id": id, "object": "event", "type": kind, "account": account, "created": chrono::Utc::now().timestamp(),
            "livemode": false, "pending_webhooks": 1, "data": { "object": object } })
    .to_string()
}

/// `buyer`'s order of a new ticket of `seller`'s at 45.00; its id.
async fn ordered_from(app: &TestApp, seller: &str, buyer: &str) -> String {
    let ticket = app.create_ticket(seller, &json!({ "title": "Concert", "price": 45.00 })).await.body;
    app.attach_pdf(seller, ticket["id"].as_str().unwrap()).await;
    let order = app.with_session(Method::POST, "/api/orders", buyer, Some(&json!({ "ticketId": ticket["id"] }))).await;
    order.body["id"].as_str().unwrap().to_owned()
}

/// A sale of `seller`'s, paid; its order id.
async fn sale_of(app: &TestApp, seller: &str, buyer: &str) -> String {
    let order_id = ordered_from(app, seller, buyer).await;
    assert_eq!(pay(app, buyer, &order_id, Some("pm_card_visa")).await.status, 201);
    order_id
}

/// `order_id`'s payout once it is `status`.
async fn payout_once(app: &TestApp, seller: &str, order_id: &str, status: &str) -> Value {
    eventually(status, || async {
        let payout = payout_status(app, seller, order_id).await;
        (payout["status"] == status).then_some(payout)
    })
    .await
}

#[tokio::test]
async fn the_connect_webhook_takes_its_own_signature_each_event_once_and_a_disconnected_account_holds_payouts() {
    let app = paying_out_at_once().await;
    let seller = app.session("seller@example.com").await;
    app.verify_email("seller@example.com", &seller).await;
    let buyer = app.session("buyer@example.com").await;
    let link = app.with_session(Method::POST, "/api/payouts/account", &seller, Some(&json!({}))).await;
    let url = link.body["url"].as_str().unwrap().to_owned();
    let query = url.split_once('?').unwrap().1.to_owned();
    let account = url_form(&query).into_iter().find(|(name, _)| name == "account").unwrap().1;
    assert_eq!(onboard(&app, &url).await.status(), 303, "the stand-in page tells the webhook");

    let object = |enabled: bool| json!({ "id": account, "object": "account", "payouts_enabled": enabled });
    let restricted = account_event("evt_restricted", "account.updated", &account, object(false));
    let enabled = account_event("evt_enabled", "account.updated", &account, object(true));
    let wrong = deliver_connect(&app, &restricted, local::LOCAL_WEBHOOK_SECRET).await;
    assert_eq!(wrong.status, 400, "the payments endpoint's secret is not this one's");
    for event in [&restricted, &enabled, &restricted] {
        assert_eq!(deliver_connect(&app, event, local::LOCAL_CONNECT_WEBHOOK_SECRET).await.status, 200);
    }
    // The redelivered restriction changed nothing: the next sale is paid, not held.
    let first = sale_of(&app, &seller, &buyer).await;
    assert_eq!(payout_once(&app, &seller, &first, "paid").await["net"], json!(42.25));

    let application = json!({ "id": "ca_platform", "object": "application" });
    let gone = account_event("evt_gone", "account.application.deauthorized", &account, application);
    assert_eq!(deliver_connect(&app, &gone, local::LOCAL_CONNECT_WEBHOOK_SECRET).await.status, 200);
    let late = account_event("evt_late", "account.updated", &account, object(true));
    assert_eq!(deliver_connect(&app, &late, local::LOCAL_CONNECT_WEBHOOK_SECRET).await.status, 200);
    let view = app.with_session(Method::GET, "/api/payouts/account", &seller, None).await;
    assert_eq!(view.body, json!({ "status": "pending", "payoutsEnabled": false, "disconnected": true }));
    let again = app.with_session(Method::POST, "/api/payouts/account", &seller, Some(&json!({}))).await;
    assert_eq!((again.status, again.body["errors"][0]["message"].as_str()), (409, Some(domain::payouts::DISCONNECTED)));

    let second = sale_of(&app, &seller, &buyer).await;
    assert_eq!(payout_once(&app, &seller, &second, "held").await["heldFor"], json!(["no_account"]));
    assert_eq!(app.gateway.as_ref().unwrap().transfers().len(), 1, "nothing paid to a disconnected account");
}

/// What localstripe answers to a GET of `path`.
async fn at_stripe(path: &str) -> Value {
    let url = format!("{}{path}", ticketing_tests::localstripe::endpoint());
    let reply = reqwest::Client::new().get(url).bearer_auth("sk_test_localstripe").send().await.unwrap();
    assert!(reply.status().is_success(), "{path}");
    reply.json().await.unwrap()
}

#[tokio::test]
async fn with_stripe_connect_a_seller_onboards_is_paid_by_a_transfer_reversed_after_a_refund_and_held_once_disconnected()
 {
    let endpoint = ticketing_tests::localstripe::endpoint();
    let (secret, connect_secret) = (format!("whsec_{}", ulid::Ulid::new()), format!("whsec_{}", ulid::Ulid::new()));
    let mut config = local::LocalConfig::for_tests();
    config.stripe = Some(ticketing_tests::localstripe::key());
    config.webhook_secret = stripe_adapter::WebhookSecret(Secret::new(secret.clone()));
    config.connect_webhook_secret = stripe_adapter::ConnectWebhookSecret(Secret::new(connect_secret.clone()));
    config.payout_terms = domain::entities::PayoutTerms { hold_seconds: 1, ..Default::default() };
    let app = spawn_app_configured(config, Vec::new()).await;
    let stripe = reqwest::Client::new();
    let hook = format!("{endpoint}/_config/connect_webhooks/{}", ulid::Ulid::new());
    let url = app.url("/api/payouts/webhook");
    let registered = stripe.post(hook).form(&[("url", url.as_str()), ("secret", connect_secret.as_str())]);
    assert!(registered.send().await.unwrap().status().is_success());

    // Onboarding on the stand-in of Stripe's hosted page, which tells the Connect webhook.
    let seller = app.session("seller@example.com").await;
    app.verify_email("seller@example.com", &seller).await;
    let link = app.with_session(Method::POST, "/api/payouts/account", &seller, Some(&json!({}))).await;
    assert_eq!(link.status, 201, "{}", link.body);
    let onboarding = link.body["url"].as_str().unwrap().to_owned();
    assert!(onboarding.starts_with(&format!("{endpoint}/_config/connect/onboarding/acct_")), "{onboarding}");
    let page = stripe.get(&onboarding).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Complete onboarding"));
    let back = format!("{}/#/payouts", app.address);
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let done = no_redirects.post(onboarding.split('?').next().unwrap()).form(&[("return_url", back.as_str())]);
    let done = done.send().await.unwrap();
    assert_eq!((done.status().as_u16(), done.headers()["location"].to_str().unwrap()), (303, back.as_str()));
    let account = app.with_session(Method::GET, "/api/payouts/account", &seller, None).await;
    assert_eq!(account.body["status"], "enabled", "{}", account.body);
    let account_id = onboarding.rsplit('/').next().unwrap().split('?').next().unwrap().to_owned();

    // A sale, paid out after the hold by a Transfer from its charge, for the net.
    let buyer = app.session("buyer@example.com").await;
    let order_id = sale_of(&app, &seller, &buyer).await;
    payout_once(&app, &seller, &order_id, "paid").await;
    let transfers = at_stripe(&format!("/v1/transfers?transfer_group={order_id}")).await;
    let transfer = &transfers["data"][0];
    assert_eq!(transfers["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        (transfer["amount"].as_i64(), transfer["destination"].as_str()),
        (Some(4225), Some(account_id.as_str()))
    );
    assert!(transfer["source_transaction"].as_str().unwrap().starts_with("ch_"), "from the buyer's charge");
    let intent = payments_of(&app, &buyer, &order_id).await[0]["stripeId"].as_str().unwrap().to_owned();
    let charged = at_stripe(&format!("/v1/payment_intents/{intent}")).await;
    assert_eq!(charged["transfer_group"], order_id.as_str(), "the charge and its transfer share the order's group");

    // 10.00 refunded after the release: 9.50 of the transfer is reversed.
    let refunded = charge_refunded("evt_after_release", &intent, 1000);
    let signature = stripe_webhook::sign(refunded.as_bytes(), &Secret::new(secret), chrono::Utc::now().timestamp());
    assert_eq!(deliver(&app, &refunded, Some(signature)).await.status, 200);
    assert_eq!(payout_once(&app, &seller, &order_id, "reversed").await["reversed"], json!(9.5));
    let transfer_id = transfer["id"].as_str().unwrap();
    let reversals = at_stripe(&format!("/v1/transfers/{transfer_id}/reversals")).await;
    assert_eq!(reversals["data"][0]["amount"], 950);

    // The seller disconnects: the next sale is held.
    let gone = stripe.post(format!("{endpoint}/_config/accounts/{account_id}/deauthorize")).send().await.unwrap();
    assert!(gone.status().is_success());
    let view = app.with_session(Method::GET, "/api/payouts/account", &seller, None).await;
    assert_eq!(view.body["disconnected"], true, "{}", view.body);
    let next = sale_of(&app, &seller, &buyer).await;
    assert_eq!(payout_once(&app, &seller, &next, "held").await["heldFor"], json!(["no_account"]));
}
