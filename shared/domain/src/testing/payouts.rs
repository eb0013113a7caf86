//! Every `PayoutStore`: one payout per order, written in the change of its order, read back
//! whole, and each seller's listed newest order first.

use std::time::Duration;

use chrono::Utc;

use super::ticket;
use crate::change::{Change, Write};
use crate::entities::{HoldReason, Order, Payout, PayoutStatus, Ticket};
use crate::error::Error;
use crate::ids::{OrderId, UserId};
use crate::page::PageRequest;
use crate::ports::{ChangeStore, OrderStore, PayoutStore, TicketStore};

/// A ticket of `seller` bought by an order, stored complete with its payout.
async fn sold(store: &impl ChangeStore, seller: &str) -> (Order, Payout) {
    let listed = ticket(seller, "Concert");
    let order = Order::place(UserId::from("buyer"), &listed, Utc::now(), Duration::from_secs(60)).unwrap();
    let ticket = Ticket { version: 1, ..listed.sell_to(&order.id) };
    let complete = order.complete();
    let payout = Payout::for_sale(&complete, &ticket, Utc::now());
    let change = Change {
        tickets: vec![Write::Insert(ticket)],
        orders: vec![Write::Insert(complete.clone())],
        payouts: vec![Write::Insert(payout.clone())],
        ..Change::default()
    };
    store.commit(&change).await.unwrap();
    (complete, payout)
}

pub async fn a_payout_is_one_per_order_and_written_with_its_order(
    store: impl PayoutStore + OrderStore + TicketStore + ChangeStore,
) {
    let (order, payout) = sold(&store, "seller").await;
    assert_eq!(store.payout(&order.id).await.unwrap(), Some(payout.clone()), "read back whole");
    assert_eq!(store.payout(&OrderId::generate()).await.unwrap(), None);

    let again = Change { payouts: vec![Write::Insert(payout.clone())], ..Change::default() };
    assert!(matches!(store.commit(&again).await, Err(Error::Conflict(_))), "one payout per order");

    // With a stale write of its order, the payout's update does not happen either.
    let held = payout.hold(HoldReason::Problem);
    let stale = Change {
        orders: vec![Write::Update(order.clone())],
        payouts: vec![Write::Update(held.clone())],
        ..Change::default()
    };
    assert!(matches!(store.commit(&stale).await, Err(Error::Conflict(_))));
    assert_eq!(store.payout(&order.id).await.unwrap(), Some(payout.clone()), "nothing of the change was written");

    let change = Change {
        orders: vec![Write::Update(order.dispute())],
        payouts: vec![Write::Update(held.clone())],
        ..Change::default()
    };
    store.commit(&change).await.unwrap();
    let stored = store.payout(&order.id).await.unwrap().unwrap();
    assert_eq!((stored.status, stored.held_for, stored.version), (PayoutStatus::Held, vec![HoldReason::Problem], 1));
    assert!(matches!(store.commit(&change).await, Err(Error::Conflict(_))), "not twice at one version");
}

pub async fn a_sellers_payouts_page_newest_order_first(store: impl PayoutStore + ChangeStore) {
    let mut mine = Vec::new();
    for _ in 0..3 {
        mine.push(sold(&store, "seller-a").await.1);
        tokio::time::sleep(Duration::from_millis(2)).await; // distinct ULID milliseconds
    }
    let (_, theirs) = sold(&store, "seller-b").await;
    mine.reverse();

    let first = store.payouts(&UserId::from("seller-a"), &PageRequest::first(2)).await.unwrap();
    assert_eq!(first.items, mine[..2]);
    let after = PageRequest { limit: 2, after: first.next.clone() };
    assert!(after.after.is_some(), "a third one follows");
    let second = store.payouts(&UserId::from("seller-a"), &after).await.unwrap();
    assert_eq!((second.items, second.next), (mine[2..].to_vec(), None));
    let other = store.payouts(&UserId::from("seller-b"), &PageRequest::first(10)).await.unwrap();
    assert_eq!(other.items, vec![theirs]);
    assert!(store.payouts(&UserId::from("nobody"), &PageRequest::first(10)).await.unwrap().items.is_empty());
}
