//! Every `PayoutStore`: one payout per order, written in the change of its order, read back
//! whole, and each seller's listed newest order first.

use std::time::Duration;

use chrono::Utc;

use super::ticket;
use crate::change::{Change, Write};
use crate::entities::{HoldReason, Order, Payout, PayoutAccount, PayoutStatus, Ticket};
use crate::error::Error;
use crate::ids::{OrderId, UserId};
use crate::page::PageRequest;
use crate::ports::{ChangeStore, OrderStore, PayoutStore, TicketStore};

/// A ticket of `seller` bought by an order, stored complete with its payout.
pub async fn sold(store: &impl ChangeStore, seller: &str) -> (Order, Payout) {
    let listed = ticket(seller, "Concert");
    let order = Order::place(UserId::from("buyer"), &listed, Utc::now(), Duration::from_secs(60)).unwrap();
    let ticket = Ticket { version: 1, ..listed.sell_to(&order.id) };
    let complete = order.complete();
    let payout = Payout::for_sale(&complete, &ticket, "pi_sold", Utc::now());
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

pub async fn due_payouts_are_those_whose_release_came_and_unfinished_claims_soonest_first(
    store: impl PayoutStore + ChangeStore,
) {
    let (_, later) = sold(&store, "seller-a").await;
    let (_, sooner) = sold(&store, "seller-a").await;
    let (_, claimed) = sold(&store, "seller-b").await;
    let now = Utc::now();
    let at = |payout: &Payout, release_at| Payout { release_at, version: payout.version + 1, ..payout.clone() };
    let later = at(&later, now - chrono::Duration::minutes(1));
    let sooner = at(&sooner, now - chrono::Duration::minutes(2));
    let claimed =
        at(&claimed, now + chrono::Duration::days(1)).claim_transfer("acct_b", now - chrono::Duration::minutes(3));
    let claimed = Payout { version: claimed.version - 1, ..claimed };
    let (_, future) = sold(&store, "seller-c").await;
    let (_, held) = sold(&store, "seller-c").await;
    let held = at(&held, now - chrono::Duration::minutes(5)).hold(HoldReason::Problem);
    let held = Payout { version: held.version - 1, ..held };
    let change = Change {
        payouts: [&later, &sooner, &claimed, &held].into_iter().cloned().map(Write::Update).collect(),
        ..Change::default()
    };
    store.commit(&change).await.unwrap();

    let due: Vec<_> = store.due(now, 10).await.unwrap().into_iter().map(|payout| payout.order_id).collect();
    assert_eq!(due, [claimed.order_id.clone(), sooner.order_id.clone(), later.order_id.clone()]);
    assert!(!due.contains(&future.order_id), "not before its release");
    assert_eq!(store.due(now, 1).await.unwrap().len(), 1, "at most the limit");
    let paid = claimed.paid("tr_1".into(), now);
    store.commit(&Change { payouts: vec![Write::Update(paid)], ..Change::default() }).await.unwrap();
    let due: Vec<_> = store.due(now, 10).await.unwrap().into_iter().map(|payout| payout.order_id).collect();
    assert_eq!(due, [sooner.order_id, later.order_id], "a finished claim is no longer due");
}

pub async fn a_payout_account_is_one_per_seller_found_by_seller_and_by_its_id(store: impl PayoutStore + ChangeStore) {
    let seller = UserId::from("seller-accounts");
    assert_eq!(store.account(&seller).await.unwrap(), None);
    let opened = PayoutAccount::open(seller.clone(), "acct_1".into(), Utc::now());
    store.commit(&Change { accounts: vec![Write::Insert(opened.clone())], ..Change::default() }).await.unwrap();
    let twice = PayoutAccount::open(seller.clone(), "acct_2".into(), Utc::now());
    let again = store.commit(&Change { accounts: vec![Write::Insert(twice)], ..Change::default() }).await;
    assert!(matches!(again, Err(Error::Conflict(_))), "one account per seller");
    assert_eq!(store.account(&seller).await.unwrap(), Some(opened.clone()));
    assert_eq!(store.account_by_id("acct_1").await.unwrap(), Some(opened.clone()));
    assert_eq!(store.account_by_id("acct_2").await.unwrap(), None);

    let enabled = opened.enabled(true);
    store.commit(&Change { accounts: vec![Write::Update(enabled.clone())], ..Change::default() }).await.unwrap();
    assert_eq!(store.account_by_id("acct_1").await.unwrap(), Some(enabled));
    // An account is not a payout: neither listed nor due.
    assert!(store.payouts(&seller, &PageRequest::first(10)).await.unwrap().items.is_empty());
    assert!(
        store.due(Utc::now() + chrono::Duration::days(3650), 100).await.unwrap().iter().all(|p| p.seller != seller)
    );
}

/// A sale completed before payouts existed: ticket sold, order `status`, payment succeeded
/// (`refunded` of it back), and no payout.
async fn sold_before_payouts(
    store: &impl ChangeStore,
    status: crate::entities::OrderStatus,
    refunded: i64,
) -> (Order, Ticket) {
    let listed =
        Ticket { payout_terms: crate::entities::PayoutTerms::before_fees(), ..ticket("old-seller", "Concert") };
    let order = Order::place(UserId::from("buyer"), &listed, Utc::now(), Duration::from_secs(60)).unwrap();
    let intent = crate::entities::Intent {
        id: format!("pi_{}", order.id),
        status: crate::entities::IntentStatus::Succeeded,
        amount: 4500,
        currency: "usd".to_owned(),
        client_secret: None,
        succeeded_at: None,
        livemode: false,
    };
    let paid = crate::entities::Payment::start(&order, intent, Utc::now()).succeed();
    let paid = if refunded > 0 { paid.refund_partly(None, crate::money::Money::from_minor(refunded)) } else { paid };
    let sold = Ticket { version: 1, ..listed.sell_to(&order.id) };
    let order = crate::entities::Order { status, version: 2, ..order };
    let change = Change {
        tickets: vec![Write::Insert(sold.clone())],
        orders: vec![Write::Insert(order.clone())],
        payments: vec![Write::Insert(paid)],
        ..Change::default()
    };
    store.commit(&change).await.unwrap();
    (order, sold)
}

pub async fn the_backfill_gives_each_sale_without_a_payout_one_once(
    store: impl PayoutStore + crate::ports::PaymentStore + TicketStore + ChangeStore,
) {
    use crate::entities::OrderStatus;
    let now = Utc::now();
    let (complete, _) = sold_before_payouts(&store, OrderStatus::Complete, 0).await;
    let (partly, _) = sold_before_payouts(&store, OrderStatus::Complete, 1000).await;
    let (disputed, _) = sold_before_payouts(&store, OrderStatus::Disputed, 0).await;
    let (open, _) = sold_before_payouts(&store, OrderStatus::AwaitingPayment, 0).await;
    for order in [&complete, &partly, &disputed] {
        assert!(crate::payouts::backfill(&store, order, now).await.unwrap(), "{:?} gets one", order.status);
        assert!(!crate::payouts::backfill(&store, order, now).await.unwrap(), "once");
    }
    assert!(!crate::payouts::backfill(&store, &open, now).await.unwrap(), "not a sale");
    assert_eq!(store.payout(&open.id).await.unwrap(), None);

    let payout = store.payout(&complete.id).await.unwrap().unwrap();
    assert_eq!((payout.amount.minor(), payout.fee.minor(), payout.net.minor()), (4500, 0, 4500), "listed before fees");
    assert_eq!((payout.status, payout.version, payout.seller.as_str()), (PayoutStatus::Scheduled, 0, "old-seller"));
    assert_eq!(payout.intent, format!("pi_{}", complete.id));
    assert_eq!(store.payout(&partly.id).await.unwrap().unwrap().net.minor(), 3500, "what is left of the charge");
    let held = store.payout(&disputed.id).await.unwrap().unwrap();
    assert_eq!((held.status, held.held_for), (PayoutStatus::Held, vec![HoldReason::Dispute]));
}

/// A buyer's problem report holds the payout in the change that records it on the order;
/// the payout is no longer due while it is open, and due again once it is resolved.
pub async fn a_problem_holds_the_payout_until_it_is_resolved(
    store: impl PayoutStore + OrderStore + TicketStore + ChangeStore,
) {
    let (order, payout) = sold(&store, "seller").await;
    let now = Utc::now();
    let due = Payout { release_at: now - chrono::Duration::minutes(1), version: payout.version + 1, ..payout };
    store.commit(&Change { payouts: vec![Write::Update(due.clone())], ..Change::default() }).await.unwrap();
    let id = order.id.as_str();

    let stranger = crate::payouts::report(&store, &UserId::from("seller"), id, "Not received".into(), now).await;
    assert!(matches!(stranger, Err(Error::Forbidden(_))), "{stranger:?}");
    let reported = crate::payouts::report(&store, &order.user_id, id, "Not received".into(), now).await.unwrap();
    assert!(reported.has_open_problem());
    let again = crate::payouts::report(&store, &order.user_id, id, "Still nothing".into(), now).await.unwrap();
    assert_eq!(again, reported, "one open problem: a second report changes nothing");
    assert_eq!(OrderStore::get(&store, &order.id).await.unwrap(), Some(reported.clone()));
    let held = store.payout(&order.id).await.unwrap().unwrap();
    assert_eq!((held.status, held.held_for.as_slice()), (PayoutStatus::Held, [HoldReason::Problem].as_slice()));
    assert!(store.due(now, 10).await.unwrap().iter().all(|payout| payout.order_id != order.id), "held: not due");

    assert!(crate::payouts::resolve(&store, &order.id, now).await.unwrap());
    assert!(!crate::payouts::resolve(&store, &order.id, now).await.unwrap(), "resolved once");
    let resolved = OrderStore::get(&store, &order.id).await.unwrap().unwrap();
    assert_eq!(resolved.problem.as_ref().and_then(|problem| problem.resolved_at), Some(now));
    let released = store.payout(&order.id).await.unwrap().unwrap();
    assert_eq!((released.status, released.held_for.len()), (PayoutStatus::Scheduled, 0));
    assert!(store.due(now, 10).await.unwrap().iter().any(|payout| payout.order_id == order.id), "due again");

    let claimed = released.claim_transfer("acct_1", now);
    store.commit(&Change { payouts: vec![Write::Update(claimed.clone())], ..Change::default() }).await.unwrap();
    let late = crate::payouts::report(&store, &order.user_id, id, "Not received".into(), now).await;
    assert!(matches!(late, Err(Error::Conflict(_))), "the transfer is claimed: {late:?}");
}
