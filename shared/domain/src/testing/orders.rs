//! The order rules on every store: one live reservation per ticket, decided by one
//! conditional change; stale work is harmless.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::Unreachable;
use super::ticket;
use crate::change::{Change, Write};
use crate::entities::{CancelReason, Order, OrderStatus, Ticket, TicketStatus};
use crate::error::Error;
use crate::events::EventType;
use crate::expiration::{self, Expiration};
use crate::ids::UserId;
use crate::money::Money;
use crate::orders;
use crate::orders::ReservationLimit;
use crate::page::PageRequest;
use crate::ports::{ChangeStore, OrderStore, Store, TicketStore};

const TIMEOUT: Duration = Duration::from_secs(15 * 60);

fn user(name: &str) -> UserId {
    UserId::from(name)
}

pub async fn listed(store: &impl ChangeStore) -> Ticket {
    let ticket = ticket("seller", "Concert");
    let change = Change {
        events: vec![ticket.event(EventType::TicketCreated, Utc::now()).unwrap()],
        tickets: vec![Write::Insert(ticket.clone())],
        ..Change::default()
    };
    store.commit(&change).await.unwrap();
    ticket
}

/// A limit the suites that are not about it never reach.
const GENEROUS: ReservationLimit = ReservationLimit(100);

async fn place(store: &impl Store, buyer: &str, ticket: &Ticket, now: DateTime<Utc>) -> crate::error::Result<Order> {
    orders::place(store, user(buyer), ticket.id.as_str(), TIMEOUT, GENEROUS, now).await
}

async fn place_within(
    store: &impl Store,
    buyer: &str,
    ticket: &Ticket,
    limit: usize,
    now: DateTime<Utc>,
) -> crate::error::Result<Order> {
    orders::place(store, user(buyer), ticket.id.as_str(), TIMEOUT, ReservationLimit(limit), now).await
}

async fn ticket_of(store: &impl Store, ticket: &Ticket) -> Ticket {
    TicketStore::get(store, &ticket.id).await.unwrap().unwrap()
}

async fn order_of(store: &impl Store, order: &Order) -> Option<Order> {
    OrderStore::get(store, &order.id).await.unwrap()
}

pub async fn an_order_reserves_its_ticket_until_it_expires(store: impl Store) {
    let ticket = listed(&store).await;
    let now = Utc::now();
    let order = place(&store, "buyer", &ticket, now).await.unwrap();
    assert_eq!(
        (order.status, order.version, order.expires_at),
        (OrderStatus::Created, 0, now + chrono::Duration::minutes(15))
    );
    assert_eq!((order.ticket.id.clone(), order.ticket.price), (ticket.id.clone(), Money::from_minor(4500)));
    assert_eq!(order_of(&store, &order).await, Some(order.clone()));

    let reserved = ticket_of(&store, &ticket).await;
    assert!(reserved.is_held_by(&order.id));
    assert_eq!((reserved.reserved_until, reserved.version), (Some(order.expires_at), 1));

    let again = place(&store, "another buyer", &ticket, now).await;
    assert!(matches!(again, Err(Error::Conflict("Ticket is already reserved"))), "{again:?}");
    let own = place(&store, "seller", &ticket, now).await;
    assert!(matches!(own, Err(Error::Conflict(_))), "{own:?}");
}

pub async fn racing_buyers_get_exactly_one_reservation(store: impl Store + Clone + 'static) {
    const BUYERS: usize = 8;
    let ticket = listed(&store).await;
    let mut racers = tokio::task::JoinSet::new();
    for buyer in 0..BUYERS {
        let (store, ticket) = (store.clone(), ticket.clone());
        racers.spawn(async move { place(&store, &format!("buyer-{buyer}"), &ticket, Utc::now()).await });
    }
    let outcomes = racers.join_all().await;
    let winners: Vec<&Order> = outcomes.iter().filter_map(|outcome| outcome.as_ref().ok()).collect();
    let refused = outcomes.iter().filter(|o| matches!(o, Err(Error::Conflict("Ticket is already reserved")))).count();
    assert_eq!((winners.len(), refused), (1, BUYERS - 1), "{outcomes:?}");
    assert!(ticket_of(&store, &ticket).await.is_held_by(&winners[0].id));
}

pub async fn a_lapsed_reservation_is_ordered_again_and_cancelled_in_the_same_change(store: impl Store) {
    let ticket = listed(&store).await;
    let then = Utc::now() - chrono::Duration::minutes(20);
    let stale = place(&store, "slow buyer", &ticket, then).await.unwrap();
    // The expiry has not run, but the reservation lapsed five minutes ago.
    let fresh = place(&store, "next buyer", &ticket, Utc::now()).await.unwrap();
    let stale = order_of(&store, &stale).await.unwrap();
    assert_eq!((stale.status, stale.cancel_reason), (OrderStatus::Cancelled, Some(CancelReason::Expired)));
    let held = ticket_of(&store, &ticket).await;
    assert!(held.is_held_by(&fresh.id));

    // The late expiry of the stale order changes nothing now.
    assert_eq!(expiration::expire(&store, &Unreachable, &stale.id, Utc::now()).await.unwrap(), Expiration::Ignored);
    assert_eq!(ticket_of(&store, &ticket).await, held);
}

pub async fn expiry_cancels_an_unpaid_order_and_frees_its_ticket_once(store: impl Store) {
    let ticket = listed(&store).await;
    let order = place(&store, "buyer", &ticket, Utc::now()).await.unwrap();
    let early = expiration::expire(&store, &Unreachable, &order.id, Utc::now()).await;
    assert!(early.is_err(), "an expiry before expiresAt is refused (and retried)");

    let later = order.expires_at + chrono::Duration::seconds(1);
    assert_eq!(expiration::expire(&store, &Unreachable, &order.id, later).await.unwrap(), Expiration::Expired);
    let expired = order_of(&store, &order).await.unwrap();
    assert_eq!(
        (expired.status, expired.cancel_reason, expired.version),
        (OrderStatus::Cancelled, Some(CancelReason::Expired), 1)
    );
    let freed = ticket_of(&store, &ticket).await;
    assert_eq!((freed.status, freed.order_id.clone(), freed.reserved_until), (TicketStatus::Available, None, None));

    assert_eq!(
        expiration::expire(&store, &Unreachable, &order.id, later).await.unwrap(),
        Expiration::Ignored,
        "repeated"
    );
    assert_eq!(ticket_of(&store, &ticket).await, freed);
}

pub async fn a_paid_order_is_never_cancelled_nor_expired(store: impl Store) {
    let ticket = listed(&store).await;
    let order = place(&store, "buyer", &ticket, Utc::now()).await.unwrap();
    let paid = order.complete();
    let sold = ticket_of(&store, &ticket).await.sell_to(&order.id);
    let change = Change {
        orders: vec![Write::Update(paid.clone())],
        tickets: vec![Write::Update(sold.clone())],
        ..Change::default()
    };
    store.commit(&change).await.unwrap();

    let cancel = orders::cancel(&store, &user("buyer"), order.id.as_str(), Utc::now()).await;
    assert!(matches!(cancel, Err(Error::Conflict("Cannot cancel a paid order"))), "{cancel:?}");
    let late = order.expires_at + chrono::Duration::seconds(1);
    assert_eq!(expiration::expire(&store, &Unreachable, &order.id, late).await.unwrap(), Expiration::Ignored);
    assert_eq!(order_of(&store, &order).await, Some(paid));
    assert_eq!(ticket_of(&store, &ticket).await, sold);

    // A commit at a version that moved on is refused whole.
    let stale = Change { orders: vec![Write::Update(order.cancel(CancelReason::User))], ..Change::default() };
    assert!(matches!(store.commit(&stale).await, Err(Error::Conflict(_))));
}

pub async fn cancelling_frees_the_ticket_at_once_and_may_be_repeated(store: impl Store) {
    let ticket = listed(&store).await;
    let order = place(&store, "buyer", &ticket, Utc::now()).await.unwrap();
    let stranger = orders::cancel(&store, &user("stranger"), order.id.as_str(), Utc::now()).await;
    assert!(matches!(stranger, Err(Error::Forbidden(_))), "{stranger:?}");

    orders::cancel(&store, &user("buyer"), order.id.as_str(), Utc::now()).await.unwrap();
    orders::cancel(&store, &user("buyer"), order.id.as_str(), Utc::now()).await.unwrap();
    let cancelled = order_of(&store, &order).await.unwrap();
    assert_eq!(
        (cancelled.status, cancelled.cancel_reason, cancelled.version),
        (OrderStatus::Cancelled, Some(CancelReason::User), 1)
    );
    assert_eq!(ticket_of(&store, &ticket).await.status, TicketStatus::Available);
    place(&store, "second buyer", &ticket, Utc::now()).await.expect("the ticket can be ordered again");
}

pub async fn a_buyers_orders_page_newest_first(store: impl Store) {
    let mut placed = Vec::new();
    for n in 0..5 {
        let ticket = listed(&store).await;
        let buyer = if n == 2 { "someone else" } else { "buyer" };
        placed.push(place(&store, buyer, &ticket, Utc::now()).await.unwrap().id);
        tokio::time::sleep(Duration::from_millis(2)).await; // distinct ULID milliseconds
    }
    let first = OrderStore::list(&store, &user("buyer"), &PageRequest::first(3)).await.unwrap();
    let ids: Vec<_> = first.items.iter().map(|o| o.id.clone()).collect();
    assert_eq!(ids, [placed[4].clone(), placed[3].clone(), placed[1].clone()]);
    let rest = OrderStore::list(&store, &user("buyer"), &PageRequest { limit: 3, after: first.next }).await.unwrap();
    assert_eq!(rest.items.iter().map(|o| o.id.clone()).collect::<Vec<_>>(), [placed[0].clone()]);
    assert_eq!(rest.next, None);
}

pub async fn overdue_orders_are_the_open_ones_past_the_cutoff_soonest_first(store: impl Store) {
    let now = Utc::now();
    let mut placed = Vec::new();
    for minutes in [30, 20, 10, 1] {
        let ticket = listed(&store).await;
        placed.push(place(&store, "buyer", &ticket, now - chrono::Duration::minutes(minutes)).await.unwrap());
    }
    // Lapsed 15 and 5 minutes ago, lapsing 5 and 14 minutes ahead; the one lapsed 5 minutes
    // ago is cancelled.
    let cancelled = placed.remove(1);
    orders::cancel(&store, &user("buyer"), cancelled.id.as_str(), now).await.unwrap();
    let overdue = async |cutoff, limit| store.overdue(cutoff, limit).await.unwrap();
    assert_eq!(overdue(now, 10).await, [placed[0].id.clone()], "open and lapsed; not the cancelled one");
    let later = now + chrono::Duration::minutes(10);
    assert_eq!(overdue(later, 10).await, [placed[0].id.clone(), placed[1].id.clone()], "soonest first");
    assert_eq!(overdue(later, 1).await, [placed[0].id.clone()], "at most the limit");
    assert!(overdue(now - chrono::Duration::hours(1), 10).await.is_empty());
}

pub async fn expiry_frees_a_ticket_still_held_by_an_order_that_is_no_longer_open(store: impl Store) {
    let ticket = listed(&store).await;
    let order = place(&store, "buyer", &ticket, Utc::now()).await.unwrap();
    // Cancelled without releasing its ticket (as a refund of a late payment once did).
    store
        .commit(&Change { orders: vec![Write::Update(order.cancel(CancelReason::Expired))], ..Change::default() })
        .await
        .unwrap();
    assert!(ticket_of(&store, &ticket).await.is_held_by(&order.id));

    assert_eq!(expiration::expire(&store, &Unreachable, &order.id, Utc::now()).await.unwrap(), Expiration::Released);
    let freed = ticket_of(&store, &ticket).await;
    assert_eq!((freed.status, freed.order_id), (TicketStatus::Available, None));
    assert_eq!(expiration::expire(&store, &Unreachable, &order.id, Utc::now()).await.unwrap(), Expiration::Ignored);
}

pub async fn a_buyer_holds_at_most_the_limit_of_open_reservations(store: impl Store) {
    let now = Utc::now();
    let mut tickets = Vec::new();
    for _ in 0..6 {
        tickets.push(listed(&store).await);
    }
    let mut placed = Vec::new();
    for ticket in &tickets[..3] {
        placed.push(place_within(&store, "hoarder", ticket, 3, now).await.unwrap());
    }
    let refused = place_within(&store, "hoarder", &tickets[3], 3, now).await;
    assert!(
        matches!(refused, Err(Error::Conflict(message)) if message == orders::TOO_MANY_RESERVATIONS.to_string()),
        "the fourth: {refused:?}"
    );
    assert_eq!(ticket_of(&store, &tickets[3]).await.status, TicketStatus::Available, "nothing reserved");
    assert!(place_within(&store, "someone else", &tickets[3], 3, now).await.is_ok(), "per buyer");

    // A cancelled reservation no longer counts; nor does a lapsed one.
    orders::cancel(&store, &user("hoarder"), placed[1].id.as_str(), now).await.unwrap();
    place_within(&store, "hoarder", &tickets[4], 3, now).await.expect("one was cancelled");
    let later = now + chrono::Duration::minutes(16);
    place_within(&store, "hoarder", &tickets[5], 3, later).await.expect("the others lapsed");
}

pub async fn racing_orders_of_one_buyer_never_exceed_the_limit(store: impl Store + Clone + 'static) {
    const RACERS: usize = 6;
    let mut tickets = Vec::new();
    for _ in 0..RACERS {
        tickets.push(listed(&store).await);
    }
    let mut racers = tokio::task::JoinSet::new();
    for ticket in tickets {
        let store = store.clone();
        racers.spawn(async move { place_within(&store, "racer", &ticket, 3, Utc::now()).await });
    }
    let outcomes = racers.join_all().await;
    let placed = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
    assert!((1..=3).contains(&placed), "{placed} of {RACERS} placed: {outcomes:?}");
    let open = OrderStore::list(&store, &user("racer"), &PageRequest::first(10)).await.unwrap().items;
    assert_eq!(open.iter().filter(|order| order.is_open()).count(), placed);
}
