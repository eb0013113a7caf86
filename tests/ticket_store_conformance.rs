//! One suite, every `TicketStore` adapter: the embedded store and DynamoDB (on moto server).
//! Each write must commit together with its outbox event, and only at the version it read.

use chrono::Utc;
use shared::Error;
use shared::adapters::{EmbeddedDb, EmbeddedTicketStore};
use shared::events::{Event, EventType};
use shared::pagination::PageRequest;
use shared::ports::TicketStore;
use shared::tickets::{Ticket, TicketFilter, TicketId, TicketStatus};
use shared::users::UserId;
use ticketing_tests::OutboxProbe;

mod suite {
    use super::*;

    pub fn ticket(seller: &str, title: &str) -> Ticket {
        Ticket {
            date: Some("2027-06-01T20:00:00Z".parse().unwrap()),
            venue: Some("Hall".to_owned()),
            ..ticketing_tests::ticket(seller, title)
        }
    }

    fn event(kind: EventType, ticket: &Ticket) -> Event {
        Event::new(kind, ticket.version, &ticket.view(), Utc::now()).unwrap()
    }

    async fn create(store: &impl TicketStore, ticket: &Ticket) {
        store.create(ticket, &event(EventType::TicketCreated, ticket)).await.unwrap();
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
        store: impl TicketStore,
        outbox: impl OutboxProbe,
    ) {
        let ticket = ticket("seller-1", "Concert");
        let created = event(EventType::TicketCreated, &ticket);
        store.create(&ticket, &created).await.unwrap();
        assert_eq!(store.get(&ticket.id).await.unwrap(), Some(ticket.clone()));
        assert_eq!(outbox.events().await, vec![created]);
        assert_eq!(store.get(&TicketId::generate()).await.unwrap(), None);
    }

    pub async fn a_write_at_a_stale_version_is_a_conflict_and_leaves_no_trace(
        store: impl TicketStore,
        outbox: impl OutboxProbe,
    ) {
        let v0 = ticket("seller-1", "Concert");
        create(&store, &v0).await;
        let v1 = next(&v0);
        store.replace(&v1, 0, &event(EventType::TicketUpdated, &v1)).await.unwrap();

        let stale = Ticket { title: "stale".to_owned(), ..v1.clone() };
        let outcome = store.replace(&stale, 0, &event(EventType::TicketUpdated, &stale)).await;
        assert!(matches!(outcome, Err(Error::Conflict(_))), "{outcome:?}");
        let outcome = store.delete(&v0, &event(EventType::TicketDeleted, &next(&v0))).await;
        assert!(matches!(outcome, Err(Error::Conflict(_))), "{outcome:?}");

        assert_eq!(store.get(&v0.id).await.unwrap(), Some(v1));
        assert_eq!(kinds(&outbox.events().await), [(EventType::TicketCreated, 0), (EventType::TicketUpdated, 1)]);
    }

    pub async fn a_delete_at_the_current_version_removes_the_ticket(store: impl TicketStore, outbox: impl OutboxProbe) {
        let ticket = ticket("seller-1", "Concert");
        create(&store, &ticket).await;
        store.delete(&ticket, &event(EventType::TicketDeleted, &next(&ticket))).await.unwrap();
        assert_eq!(store.get(&ticket.id).await.unwrap(), None);
        assert_eq!(kinds(&outbox.events().await), [(EventType::TicketCreated, 0), (EventType::TicketDeleted, 1)]);
        let again = store.delete(&ticket, &event(EventType::TicketDeleted, &next(&ticket))).await;
        assert!(matches!(again, Err(Error::Conflict(_))), "{again:?}");
    }

    pub async fn concurrent_updates_at_one_version_let_exactly_one_win(
        store: impl TicketStore + Clone + 'static,
        outbox: impl OutboxProbe,
    ) {
        const RACERS: usize = 8;
        let v0 = ticket("seller-1", "Concert");
        create(&store, &v0).await;
        let mut racers = tokio::task::JoinSet::new();
        for racer in 0..RACERS {
            let store = store.clone();
            let update = Ticket { title: format!("racer {racer}"), version: 1, ..v0.clone() };
            racers.spawn(async move {
                let outcome = store.replace(&update, 0, &event(EventType::TicketUpdated, &update)).await;
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

    pub async fn listings_page_newest_first_without_gaps_or_duplicates(store: impl TicketStore) {
        let mut tickets = Vec::new();
        for n in 0..7 {
            let ticket = ticket(if n % 2 == 0 { "seller-even" } else { "seller-odd" }, &format!("t{n}"));
            create(&store, &ticket).await;
            tickets.push(ticket);
            tokio::time::sleep(std::time::Duration::from_millis(2)).await; // distinct ULID milliseconds
        }
        // t3 is reserved: it leaves the available listing but stays in its seller's.
        let reserved = Ticket { status: TicketStatus::Reserved, order_id: Some("order-1".into()), ..next(&tickets[3]) };
        let reserved = Ticket { title: "t3".into(), ..reserved };
        store.replace(&reserved, 0, &event(EventType::TicketUpdated, &reserved)).await.unwrap();

        let available = all_pages(&store, &TicketFilter::Available, 2).await;
        assert_eq!(available, [vec!["t6", "t5"], vec!["t4", "t2"], vec!["t1", "t0"]]);
        let odd = all_pages(&store, &TicketFilter::Seller(UserId::from("seller-odd".to_owned())), 2).await;
        assert_eq!(odd, [vec!["t5", "t3"], vec!["t1"]]);
        let nobody = all_pages(&store, &TicketFilter::Seller(UserId::from("nobody".to_owned())), 5).await;
        assert_eq!(nobody, [Vec::<String>::new()]);
    }
}

macro_rules! ticket_store_conformance {
    ($adapter:ident, $fixture:expr) => {
        mod $adapter {
            use super::*;

            #[tokio::test]
            async fn a_created_ticket_reads_back_whole_and_its_event_is_in_the_outbox() {
                let (store, outbox) = $fixture;
                suite::a_created_ticket_reads_back_whole_and_its_event_is_in_the_outbox(store, outbox).await;
            }

            #[tokio::test]
            async fn a_write_at_a_stale_version_is_a_conflict_and_leaves_no_trace() {
                let (store, outbox) = $fixture;
                suite::a_write_at_a_stale_version_is_a_conflict_and_leaves_no_trace(store, outbox).await;
            }

            #[tokio::test]
            async fn a_delete_at_the_current_version_removes_the_ticket() {
                let (store, outbox) = $fixture;
                suite::a_delete_at_the_current_version_removes_the_ticket(store, outbox).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn concurrent_updates_at_one_version_let_exactly_one_win() {
                let (store, outbox) = $fixture;
                suite::concurrent_updates_at_one_version_let_exactly_one_win(store, outbox).await;
            }

            #[tokio::test]
            async fn listings_page_newest_first_without_gaps_or_duplicates() {
                let (store, _outbox) = $fixture;
                suite::listings_page_newest_first_without_gaps_or_duplicates(store).await;
            }
        }
    };
}

fn embedded() -> (EmbeddedTicketStore, EmbeddedDb) {
    let db = EmbeddedDb::in_memory();
    (EmbeddedTicketStore::new(db.clone()), db)
}

ticket_store_conformance!(embedded, embedded());
ticket_store_conformance!(dynamodb, ticketing_tests::moto::ticket_store().await);
