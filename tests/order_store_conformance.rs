//! The order rules on every `OrderStore`/`TicketStore` pair: the embedded store and
//! DynamoDB (on moto server). One live reservation per ticket, decided by one conditional
//! transaction; stale work is harmless.

use std::time::Duration;

use chrono::{DateTime, Utc};
use shared::Error;
use shared::adapters::{EmbeddedDb, EmbeddedOrderStore, EmbeddedTicketStore};
use shared::events::{Event, EventType};
use shared::money::Money;
use shared::orders::{self, CancelReason, Expiry, Order, OrderChange, OrderStatus};
use shared::pagination::PageRequest;
use shared::ports::{OrderStore, TicketStore};
use shared::tickets::{Ticket, TicketStatus};
use shared::users::UserId;

const TIMEOUT: Duration = Duration::from_secs(15 * 60);

mod suite {
    use super::*;

    pub fn user(name: &str) -> UserId {
        UserId::from(name.to_owned())
    }

    pub async fn listed(tickets: &impl TicketStore) -> Ticket {
        let ticket = ticketing_tests::ticket("seller", "Concert");
        tickets
            .create(&ticket, &Event::new(EventType::TicketCreated, 0, &ticket.view(), Utc::now()).unwrap())
            .await
            .unwrap();
        ticket
    }

    async fn place(
        orders: &impl OrderStore,
        tickets: &impl TicketStore,
        buyer: &str,
        ticket: &Ticket,
        now: DateTime<Utc>,
    ) -> shared::Result<Order> {
        orders::place(orders, tickets, user(buyer), ticket.id.as_str(), TIMEOUT, now).await
    }

    pub async fn an_order_reserves_its_ticket_until_it_expires(orders: impl OrderStore, tickets: impl TicketStore) {
        let ticket = listed(&tickets).await;
        let now = Utc::now();
        let order = place(&orders, &tickets, "buyer", &ticket, now).await.unwrap();
        assert_eq!(
            (order.status, order.version, order.expires_at),
            (OrderStatus::Created, 0, now + chrono::Duration::minutes(15))
        );
        assert_eq!((order.ticket.id.clone(), order.ticket.price), (ticket.id.clone(), Money::from_minor(4500)));
        assert_eq!(orders.get(&order.id).await.unwrap(), Some(order.clone()));

        let reserved = tickets.get(&ticket.id).await.unwrap().unwrap();
        assert_eq!(reserved.status, TicketStatus::Reserved);
        assert_eq!(reserved.order_id.as_deref(), Some(order.id.as_str()));
        assert_eq!((reserved.reserved_until, reserved.version), (Some(order.expires_at), 1));

        let again = place(&orders, &tickets, "another buyer", &ticket, now).await;
        assert!(matches!(again, Err(Error::Conflict("Ticket is already reserved"))), "{again:?}");
        let own = place(&orders, &tickets, "seller", &ticket, now).await;
        assert!(matches!(own, Err(Error::Conflict(_))), "{own:?}");
    }

    pub async fn racing_buyers_get_exactly_one_reservation(
        orders: impl OrderStore + Clone + 'static,
        tickets: impl TicketStore + Clone + 'static,
    ) {
        const BUYERS: usize = 8;
        let ticket = listed(&tickets).await;
        let mut racers = tokio::task::JoinSet::new();
        for buyer in 0..BUYERS {
            let (orders, tickets, ticket) = (orders.clone(), tickets.clone(), ticket.clone());
            racers.spawn(async move { place(&orders, &tickets, &format!("buyer-{buyer}"), &ticket, Utc::now()).await });
        }
        let outcomes = racers.join_all().await;
        let winners: Vec<&Order> = outcomes.iter().filter_map(|outcome| outcome.as_ref().ok()).collect();
        let refused =
            outcomes.iter().filter(|o| matches!(o, Err(Error::Conflict("Ticket is already reserved")))).count();
        assert_eq!((winners.len(), refused), (1, BUYERS - 1), "{outcomes:?}");
        let held = tickets.get(&ticket.id).await.unwrap().unwrap();
        assert_eq!(held.order_id.as_deref(), Some(winners[0].id.as_str()));
    }

    pub async fn a_lapsed_reservation_is_ordered_again_and_cancelled_in_the_same_change(
        orders: impl OrderStore,
        tickets: impl TicketStore,
    ) {
        let ticket = listed(&tickets).await;
        let then = Utc::now() - chrono::Duration::minutes(20);
        let stale = place(&orders, &tickets, "slow buyer", &ticket, then).await.unwrap();
        // The expiry has not run, but the reservation lapsed five minutes ago.
        let fresh = place(&orders, &tickets, "next buyer", &ticket, Utc::now()).await.unwrap();
        let stale = orders.get(&stale.id).await.unwrap().unwrap();
        assert_eq!((stale.status, stale.cancel_reason), (OrderStatus::Cancelled, Some(CancelReason::Expired)));
        let held = tickets.get(&ticket.id).await.unwrap().unwrap();
        assert_eq!(held.order_id.as_deref(), Some(fresh.id.as_str()));

        // The late expiry of the stale order changes nothing now.
        assert_eq!(orders::expire(&orders, &tickets, &stale.id, Utc::now()).await.unwrap(), Expiry::Ignored);
        assert_eq!(tickets.get(&ticket.id).await.unwrap().unwrap(), held);
    }

    pub async fn expiry_cancels_an_unpaid_order_and_frees_its_ticket_once(
        orders: impl OrderStore,
        tickets: impl TicketStore,
    ) {
        let ticket = listed(&tickets).await;
        let order = place(&orders, &tickets, "buyer", &ticket, Utc::now()).await.unwrap();
        let early = orders::expire(&orders, &tickets, &order.id, Utc::now()).await;
        assert!(early.is_err(), "an expiry before expiresAt is refused (and retried)");

        let later = order.expires_at + chrono::Duration::seconds(1);
        assert_eq!(orders::expire(&orders, &tickets, &order.id, later).await.unwrap(), Expiry::Expired);
        let expired = orders.get(&order.id).await.unwrap().unwrap();
        assert_eq!(
            (expired.status, expired.cancel_reason, expired.version),
            (OrderStatus::Cancelled, Some(CancelReason::Expired), 1)
        );
        let freed = tickets.get(&ticket.id).await.unwrap().unwrap();
        assert_eq!((freed.status, freed.order_id.clone(), freed.reserved_until), (TicketStatus::Available, None, None));

        assert_eq!(orders::expire(&orders, &tickets, &order.id, later).await.unwrap(), Expiry::Ignored, "repeated");
        assert_eq!(tickets.get(&ticket.id).await.unwrap().unwrap(), freed);
    }

    pub async fn a_paid_order_is_never_cancelled_nor_expired(orders: impl OrderStore, tickets: impl TicketStore) {
        let ticket = listed(&tickets).await;
        let order = place(&orders, &tickets, "buyer", &ticket, Utc::now()).await.unwrap();
        let paid = Order { status: OrderStatus::Complete, version: 1, ..order.clone() };
        let held = tickets.get(&ticket.id).await.unwrap().unwrap();
        let sold = Ticket { status: TicketStatus::Sold, version: held.version + 1, ..held.clone() };
        let change = OrderChange {
            orders: vec![(paid.clone(), Some(0))],
            tickets: vec![(sold.clone(), held.version)],
            ..OrderChange::default()
        };
        orders.commit(&change).await.unwrap();

        let cancel = orders::cancel(&orders, &tickets, &user("buyer"), order.id.as_str()).await;
        assert!(matches!(cancel, Err(Error::Conflict("Cannot cancel a paid order"))), "{cancel:?}");
        let late = order.expires_at + chrono::Duration::seconds(1);
        assert_eq!(orders::expire(&orders, &tickets, &order.id, late).await.unwrap(), Expiry::Ignored);
        assert_eq!(orders.get(&order.id).await.unwrap(), Some(paid));
        assert_eq!(tickets.get(&ticket.id).await.unwrap(), Some(sold));

        // A commit at a version that moved on is refused whole.
        let stale =
            OrderChange { orders: vec![(Order { version: 1, ..order.clone() }, Some(0))], ..OrderChange::default() };
        assert!(matches!(orders.commit(&stale).await, Err(Error::Conflict(_))));
    }

    pub async fn cancelling_frees_the_ticket_at_once_and_may_be_repeated(
        orders: impl OrderStore,
        tickets: impl TicketStore,
    ) {
        let ticket = listed(&tickets).await;
        let order = place(&orders, &tickets, "buyer", &ticket, Utc::now()).await.unwrap();
        let stranger = orders::cancel(&orders, &tickets, &user("stranger"), order.id.as_str()).await;
        assert!(matches!(stranger, Err(Error::Forbidden(_))), "{stranger:?}");

        orders::cancel(&orders, &tickets, &user("buyer"), order.id.as_str()).await.unwrap();
        orders::cancel(&orders, &tickets, &user("buyer"), order.id.as_str()).await.unwrap();
        let cancelled = orders.get(&order.id).await.unwrap().unwrap();
        assert_eq!(
            (cancelled.status, cancelled.cancel_reason, cancelled.version),
            (OrderStatus::Cancelled, Some(CancelReason::User), 1)
        );
        assert_eq!(tickets.get(&ticket.id).await.unwrap().unwrap().status, TicketStatus::Available);
        place(&orders, &tickets, "second buyer", &ticket, Utc::now()).await.expect("the ticket can be ordered again");
    }

    pub async fn a_buyers_orders_page_newest_first(orders: impl OrderStore, tickets: impl TicketStore) {
        let mut placed = Vec::new();
        for n in 0..5 {
            let ticket = listed(&tickets).await;
            let buyer = if n == 2 { "someone else" } else { "buyer" };
            placed.push(place(&orders, &tickets, buyer, &ticket, Utc::now()).await.unwrap().id);
            tokio::time::sleep(Duration::from_millis(2)).await; // distinct ULID milliseconds
        }
        let first = orders.list(&user("buyer"), &PageRequest::first(3)).await.unwrap();
        let ids: Vec<_> = first.items.iter().map(|o| o.id.clone()).collect();
        assert_eq!(ids, [placed[4].clone(), placed[3].clone(), placed[1].clone()]);
        let rest = orders.list(&user("buyer"), &PageRequest { limit: 3, after: first.next }).await.unwrap();
        assert_eq!(rest.items.iter().map(|o| o.id.clone()).collect::<Vec<_>>(), [placed[0].clone()]);
        assert_eq!(rest.next, None);
    }
}

macro_rules! order_store_conformance {
    ($adapter:ident, $fixture:expr) => {
        mod $adapter {
            use super::*;

            #[tokio::test]
            async fn an_order_reserves_its_ticket_until_it_expires() {
                let (orders, tickets) = $fixture;
                suite::an_order_reserves_its_ticket_until_it_expires(orders, tickets).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn racing_buyers_get_exactly_one_reservation() {
                let (orders, tickets) = $fixture;
                suite::racing_buyers_get_exactly_one_reservation(orders, tickets).await;
            }

            #[tokio::test]
            async fn a_lapsed_reservation_is_ordered_again_and_cancelled_in_the_same_change() {
                let (orders, tickets) = $fixture;
                suite::a_lapsed_reservation_is_ordered_again_and_cancelled_in_the_same_change(orders, tickets).await;
            }

            #[tokio::test]
            async fn expiry_cancels_an_unpaid_order_and_frees_its_ticket_once() {
                let (orders, tickets) = $fixture;
                suite::expiry_cancels_an_unpaid_order_and_frees_its_ticket_once(orders, tickets).await;
            }

            #[tokio::test]
            async fn a_paid_order_is_never_cancelled_nor_expired() {
                let (orders, tickets) = $fixture;
                suite::a_paid_order_is_never_cancelled_nor_expired(orders, tickets).await;
            }

            #[tokio::test]
            async fn cancelling_frees_the_ticket_at_once_and_may_be_repeated() {
                let (orders, tickets) = $fixture;
                suite::cancelling_frees_the_ticket_at_once_and_may_be_repeated(orders, tickets).await;
            }

            #[tokio::test]
            async fn a_buyers_orders_page_newest_first() {
                let (orders, tickets) = $fixture;
                suite::a_buyers_orders_page_newest_first(orders, tickets).await;
            }
        }
    };
}

fn embedded() -> (EmbeddedOrderStore, EmbeddedTicketStore) {
    let db = EmbeddedDb::in_memory();
    (EmbeddedOrderStore::new(db.clone()), EmbeddedTicketStore::new(db))
}

order_store_conformance!(embedded, embedded());
order_store_conformance!(dynamodb, ticketing_tests::moto::order_stores().await);
