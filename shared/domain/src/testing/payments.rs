//! Every `PaymentStore`: one payment per order, found by its order and by its intent.

use std::time::Duration;

use chrono::Utc;

use super::orders::listed;
use crate::change::{Change, Write};
use crate::entities::{Intent, IntentStatus, Order, Payment, PaymentStatus};
use crate::error::Error;
use crate::ids::{OrderId, UserId};
use crate::ports::{ChangeStore, OrderStore, PaymentStore, TicketStore};

pub async fn a_payment_is_found_by_its_order_and_by_its_intent_and_is_one_per_order(
    store: impl PaymentStore + OrderStore + TicketStore + ChangeStore,
) {
    let ticket = listed(&store).await;
    let order = Order::place(UserId::from("buyer"), &ticket, Utc::now(), Duration::from_secs(60)).unwrap();
    store.commit(&Change { orders: vec![Write::Insert(order.clone())], ..Change::default() }).await.unwrap();
    let intent = |id: &str| Intent {
        id: id.to_owned(),
        status: IntentStatus::RequiresPaymentMethod,
        amount: 4500,
        currency: "usd".to_owned(),
        client_secret: None,
        succeeded_at: None,
        livemode: false,
    };
    let payment = Payment::start(&order, intent("pi_first"), Utc::now());
    let starting = |payment: &Payment| Change {
        orders: vec![Write::Update(order.await_payment())],
        payments: vec![Write::Insert(payment.clone())],
        ..Change::default()
    };
    store.commit(&starting(&payment)).await.unwrap();

    assert_eq!(store.for_order(&order.id).await.unwrap(), Some(payment.clone()));
    assert_eq!(store.by_intent("pi_first").await.unwrap(), Some(payment.clone()));
    assert_eq!(store.for_order(&OrderId::generate()).await.unwrap(), None);
    assert_eq!(store.by_intent("pi_unknown").await.unwrap(), None);

    let second = Payment::start(&order, intent("pi_second"), Utc::now());
    assert!(matches!(store.commit(&starting(&second)).await, Err(Error::Conflict(_))), "one payment per order");
    let succeeded = payment.succeed();
    store.commit(&Change { payments: vec![Write::Update(succeeded.clone())], ..Change::default() }).await.unwrap();
    assert_eq!(
        store.for_order(&order.id).await.unwrap().map(|p| (p.status, p.version)),
        Some((PaymentStatus::Succeeded, 1))
    );
}
