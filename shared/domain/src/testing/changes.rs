//! Every `ChangeStore` with its `TicketStore`: each write commits together with its events
//! (the outbox), only at the version it expects, and a change spanning tables commits
//! whole or not at all. Listings page newest first.

use chrono::Utc;

use super::{OutboxProbe, ticket};
use crate::change::{Change, Write};
use crate::entities::{Order, Ticket, TicketFilter};
use crate::error::Error;
use crate::events::{Event, EventType};
use crate::ids::{TicketId, UserId};
use crate::page::PageRequest;
use crate::ports::{ChangeStore, OrderStore, TicketStore};

fn dated(seller: &str, title: &str) -> Ticket {
    Ticket {
        date: Some("2027-06-01T20:00:00Z".parse().unwrap()),
        venue: Some("Hall".to_owned()),
        ..ticket(seller, title)
    }
}

fn event(kind: EventType, ticket: &Ticket) -> Event {
    ticket.event(kind, Utc::now()).unwrap()
}

fn write(write: Write<Ticket>, event: Event) -> Change {
    Change { tickets: vec![write], events: vec![event], ..Change::default() }
}

async fn create(store: &impl ChangeStore, ticket: &Ticket) {
    store.commit(&write(Write::Insert(ticket.clone()), event(EventType::TicketCreated, ticket))).await.unwrap();
}

fn next(ticket: &Ticket) -> Ticket {
    Ticket {
        title: format!("{} (v{})", ticket.title, ticket.version + 1),
        version: ticket.version + 1,
        ..ticket.clone()
    }
}

fn kinds(events: &[Event]) -> Vec<(EventType, u64)> {
    let mut kinds: Vec<_> = events.iter().map(|event| (event.kind, event.version)).collect();
    kinds.sort_by_key(|(kind, version)| (*version, kind.as_str()));
    kinds
}

pub async fn a_created_ticket_reads_back_whole_and_its_event_is_in_the_outbox(
    (store, outbox): (impl TicketStore + ChangeStore, impl OutboxProbe),
) {
    let ticket = dated("seller-1", "Concert");
    let created = event(EventType::TicketCreated, &ticket);
    store.commit(&write(Write::Insert(ticket.clone()), created.clone())).await.unwrap();
    assert_eq!(store.get(&ticket.id).await.unwrap(), Some(ticket.clone()));
    assert_eq!(outbox.events().await, vec![created]);
    assert_eq!(store.get(&TicketId::generate()).await.unwrap(), None);
}

pub async fn a_write_at_a_stale_version_is_a_conflict_and_leaves_no_trace(
    (store, outbox): (impl TicketStore + ChangeStore, impl OutboxProbe),
) {
    let v0 = dated("seller-1", "Concert");
    create(&store, &v0).await;
    let v1 = next(&v0);
    store.commit(&write(Write::Update(v1.clone()), event(EventType::TicketUpdated, &v1))).await.unwrap();

    let stale = Ticket { title: "stale".to_owned(), ..v1.clone() };
    let outcome = store.commit(&write(Write::Update(stale.clone()), event(EventType::TicketUpdated, &stale))).await;
    assert!(matches!(outcome, Err(Error::Conflict(_))), "{outcome:?}");
    let outcome = store.commit(&write(Write::Delete(v0.clone()), event(EventType::TicketDeleted, &next(&v0)))).await;
    assert!(matches!(outcome, Err(Error::Conflict(_))), "{outcome:?}");
    let outcome = store.commit(&write(Write::Insert(v0.clone()), event(EventType::TicketCreated, &v0))).await;
    assert!(matches!(outcome, Err(Error::Conflict(_))), "an insert of a stored ticket: {outcome:?}");

    assert_eq!(store.get(&v0.id).await.unwrap(), Some(v1));
    assert_eq!(kinds(&outbox.events().await), [(EventType::TicketCreated, 0), (EventType::TicketUpdated, 1)]);
}

pub async fn a_delete_at_the_current_version_removes_the_ticket(
    (store, outbox): (impl TicketStore + ChangeStore, impl OutboxProbe),
) {
    let ticket = dated("seller-1", "Concert");
    create(&store, &ticket).await;
    let delete = || write(Write::Delete(ticket.clone()), event(EventType::TicketDeleted, &next(&ticket)));
    store.commit(&delete()).await.unwrap();
    assert_eq!(store.get(&ticket.id).await.unwrap(), None);
    assert_eq!(kinds(&outbox.events().await), [(EventType::TicketCreated, 0), (EventType::TicketDeleted, 1)]);
    let again = store.commit(&delete()).await;
    assert!(matches!(again, Err(Error::Conflict(_))), "{again:?}");
}

pub async fn concurrent_updates_at_one_version_let_exactly_one_win(
    (store, outbox): (impl TicketStore + ChangeStore + Clone + 'static, impl OutboxProbe),
) {
    const RACERS: usize = 8;
    let v0 = dated("seller-1", "Concert");
    create(&store, &v0).await;
    let mut racers = tokio::task::JoinSet::new();
    for racer in 0..RACERS {
        let store = store.clone();
        let update = Ticket { title: format!("racer {racer}"), version: 1, ..v0.clone() };
        racers.spawn(async move {
            let outcome =
                store.commit(&write(Write::Update(update.clone()), event(EventType::TicketUpdated, &update))).await;
            (update.title, outcome)
        });
    }
    let outcomes = racers.join_all().await;
    let winners: Vec<&String> =
        outcomes.iter().filter(|(_, outcome)| outcome.is_ok()).map(|(title, _)| title).collect();
    let conflicts = outcomes.iter().filter(|(_, outcome)| matches!(outcome, Err(Error::Conflict(_)))).count();
    assert_eq!((winners.len(), conflicts), (1, RACERS - 1));
    assert_eq!(&store.get(&v0.id).await.unwrap().unwrap().title, winners[0], "the stored ticket is the winner's");
    assert_eq!(outbox.events().await.len(), 2, "one created, one updated event");
}

pub async fn a_change_across_tables_commits_whole_or_not_at_all(
    (store, outbox): (impl TicketStore + OrderStore + ChangeStore, impl OutboxProbe),
) {
    let listed = ticket("seller", "Concert");
    create(&store, &listed).await;
    let order = Order::place(UserId::from("buyer"), &listed, Utc::now(), std::time::Duration::from_secs(60)).unwrap();
    let reserved = listed.reserve_for(&order.id, order.expires_at);
    let now = Utc::now();
    let placing = |ticket: Ticket| Change {
        orders: vec![Write::Insert(order.clone())],
        events: vec![
            order.event(EventType::OrderCreated, now).unwrap(),
            ticket.event(EventType::TicketUpdated, now).unwrap(),
        ],
        tickets: vec![Write::Update(ticket)],
        ..Change::default()
    };
    // The ticket write is stale (version 2 expects 1): the order must not appear either.
    let stale = Ticket { version: 2, ..reserved.clone() };
    assert!(matches!(store.commit(&placing(stale)).await, Err(Error::Conflict(_))));
    assert_eq!(OrderStore::get(&store, &order.id).await.unwrap(), None, "no half-applied change");
    assert_eq!(TicketStore::get(&store, &listed.id).await.unwrap(), Some(listed.clone()));
    assert_eq!(outbox.events().await.len(), 1, "only the ticket's creation");

    store.commit(&placing(reserved.clone())).await.unwrap();
    assert_eq!(OrderStore::get(&store, &order.id).await.unwrap(), Some(order.clone()));
    assert_eq!(TicketStore::get(&store, &listed.id).await.unwrap(), Some(reserved));
    assert_eq!(kinds(&outbox.events().await).len(), 3);
}

async fn all_pages(store: &impl TicketStore, filter: &TicketFilter, limit: usize) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut page = PageRequest::first(limit);
    loop {
        let found = store.list(filter, &page).await.unwrap();
        pages.push(found.items.iter().map(|ticket| ticket.title.clone()).collect());
        match found.next {
            Some(next) => page.after = Some(next),
            None => return pages,
        }
    }
}

pub async fn listings_page_newest_first_without_gaps_or_duplicates(
    (store, _): (impl TicketStore + ChangeStore, impl OutboxProbe),
) {
    let mut tickets = Vec::new();
    for n in 0..7 {
        let ticket = dated(if n % 2 == 0 { "seller-even" } else { "seller-odd" }, &format!("t{n}"));
        create(&store, &ticket).await;
        tickets.push(ticket);
        tokio::time::sleep(std::time::Duration::from_millis(2)).await; // distinct ULID milliseconds
    }
    // t3 is reserved: it leaves the available listing but stays in its seller's.
    let order =
        Order::place(UserId::from("buyer"), &tickets[3], Utc::now(), std::time::Duration::from_secs(60)).unwrap();
    let reserved = tickets[3].reserve_for(&order.id, order.expires_at);
    store.commit(&write(Write::Update(reserved.clone()), event(EventType::TicketUpdated, &reserved))).await.unwrap();

    let available = all_pages(&store, &TicketFilter::Available(Utc::now()), 2).await;
    assert_eq!(available, [vec!["t6", "t5"], vec!["t4", "t2"], vec!["t1", "t0"]]);
    let odd = all_pages(&store, &TicketFilter::Seller(UserId::from("seller-odd")), 2).await;
    assert_eq!(odd, [vec!["t5", "t3"], vec!["t1"]]);
    let nobody = all_pages(&store, &TicketFilter::Seller(UserId::from("nobody")), 5).await;
    assert_eq!(nobody, [Vec::<String>::new()]);
}

/// A seller's open listings: not sold, for an event still to come (or undated), counted up
/// to a bound.
pub async fn open_listings_are_a_sellers_unsold_tickets_to_come_counted_up_to_a_bound(
    (store, _): (impl TicketStore + ChangeStore, impl OutboxProbe),
) {
    let now = Utc::now();
    let soon = Ticket { date: Some(now + chrono::Duration::hours(1)), ..ticket("seller-a", "soon") };
    let reserved = Ticket { status: crate::entities::TicketStatus::Reserved, ..dated("seller-a", "reserved") };
    let sold = Ticket { status: crate::entities::TicketStatus::Sold, ..dated("seller-a", "sold") };
    let theirs = [ticket("seller-a", "a1"), ticket("seller-a", "a2"), soon, reserved, sold];
    for listed in theirs.iter().chain(&[ticket("seller-b", "b1"), dated("seller-b", "b2")]) {
        create(&store, listed).await;
    }
    let count = |seller: &str, at, up_to| {
        let seller = UserId::from(seller);
        let store = &store;
        async move { store.open_listings(&seller, at, up_to).await.unwrap() }
    };
    assert_eq!(count("seller-a", now, 100).await, 4, "two undated, one soon, one reserved: not the sold one");
    assert_eq!(count("seller-a", now + chrono::Duration::hours(2), 100).await, 3, "once `soon` has passed");
    assert_eq!(count("seller-a", now, 2).await, 2, "counted up to the bound");
    assert_eq!(count("seller-b", now, 100).await, 2);
    assert_eq!(count("nobody", now, 100).await, 0);
}
