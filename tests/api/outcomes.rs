//! The README's table of gateway outcomes against order states, cell by cell: each state is
//! set up, the outcome happens at the test gateway and is reported as Stripe reports it
//! (twice, and again under new event ids), and what the order, its ticket and the money
//! then are must be what the cell says. A cell that says "cannot happen" must be one the
//! gateway refuses.

use chrono::Utc;
use domain::entities::{DisputeStatus, IntentStatus, Order, OrderStatus, PaymentStatus, Ticket, TicketStatus};
use domain::ids::UserId;
use domain::money::Money;
use domain::payments::{self, GatewayEvent, GatewayEventKind};
use domain::ports::{OrderStore, PaymentGateway, PaymentStore, TicketStore};
use domain::{orders, testing};
use embedded::{EmbeddedStore, TestGateway};

const STATES: [&str; 5] = ["open", "complete", "cancelled", "refunded", "disputed"];

#[derive(Debug, Clone, Copy)]
enum Outcome {
    Succeeded,
    Mismatch,
    Failed,
    Canceled,
    FullRefund,
    PartialRefund,
    RefundFailed,
    DisputeOpened,
    DisputeWon,
    DisputeLost,
}

const OUTCOMES: [(Outcome, &str); 10] = [
    (Outcome::Succeeded, "succeeded, as ordered"),
    (Outcome::Mismatch, "succeeded, another amount, currency or mode"),
    (Outcome::Failed, "failed"),
    (Outcome::Canceled, "canceled"),
    (Outcome::FullRefund, "full refund"),
    (Outcome::PartialRefund, "partial refund"),
    (Outcome::RefundFailed, "refund failed"),
    (Outcome::DisputeOpened, "dispute opened"),
    (Outcome::DisputeWon, "dispute won"),
    (Outcome::DisputeLost, "dispute lost"),
];

struct Case {
    store: EmbeddedStore,
    gateway: TestGateway,
    ticket: Ticket,
    order: Order,
    intent: String,
}

impl Case {
    async fn report(&self, id: &str, kind: GatewayEventKind) {
        let event = GatewayEvent { id: id.to_owned(), kind };
        payments::handle_gateway_event(&self.store, &self.gateway, &self.store, &event, Utc::now()).await.unwrap();
    }

    async fn report_success(&self, id: &str) {
        let intent = self.gateway.get_intent(&self.intent).await.unwrap();
        let kind = GatewayEventKind::IntentSucceeded {
            order: self.order.id.clone(),
            intent: intent.id.clone(),
            amount: Money::from_minor(intent.amount),
            currency: intent.currency.clone(),
            livemode: intent.livemode,
            at: intent.succeeded_at.unwrap_or_else(Utc::now),
        };
        self.report(id, kind).await;
    }

    fn refunded(&self, amount: i64, full: bool, refund: &str) -> GatewayEventKind {
        let amount_refunded = Money::from_minor(amount);
        GatewayEventKind::ChargeRefunded {
            intent: self.intent.clone(),
            refund: Some(refund.into()),
            amount_refunded,
            full,
        }
    }

    fn dispute(&self, status: DisputeStatus) -> GatewayEventKind {
        let (intent, dispute) = (self.intent.clone(), "dp_1".to_owned());
        match status {
            DisputeStatus::Open => GatewayEventKind::DisputeOpened { intent, dispute },
            closed => GatewayEventKind::DisputeClosed { intent, dispute, won: closed == DisputeStatus::Won },
        }
    }

    /// An order of a listed ticket, `state`.
    async fn new(state: &str) -> Case {
        let (store, gateway) = (EmbeddedStore::in_memory(), TestGateway::new());
        let ticket = testing::orders::listed(&store).await;
        let (limit, timeout) = (orders::ReservationLimit(3), std::time::Duration::from_secs(900));
        let order =
            orders::place(&store, UserId::from("buyer"), ticket.id.as_str(), timeout, limit, Utc::now()).await.unwrap();
        let started = payments::pay(&store, &gateway, &order.user_id, order.id.as_str(), None, Utc::now()).await;
        let Ok(payments::Outcome::Started(payment)) = started else { panic!("{started:?}") };
        let case = Case { store, gateway, ticket, order, intent: payment.stripe_id };
        if matches!(state, "complete" | "refunded" | "disputed") {
            case.gateway.complete_in_browser(&case.intent).unwrap();
            case.report_success("evt_setup_paid").await;
        }
        match state {
            "cancelled" => {
                orders::cancel(&case.store, &case.order.user_id, case.order.id.as_str(), Utc::now()).await.unwrap();
                payments::cancel_unpaid(&case.store, &case.gateway, &case.order.id, Utc::now()).await.unwrap();
            }
            "refunded" => {
                let refund = case.gateway.refund_from_dashboard(&case.intent).unwrap();
                case.report("evt_setup_refunded", case.refunded(4500, true, &refund)).await;
            }
            "disputed" => case.report("evt_setup_disputed", case.dispute(DisputeStatus::Open)).await,
            _ => {}
        }
        assert_eq!(case.state().await, state, "set up");
        case
    }

    async fn state(&self) -> String {
        let order = OrderStore::get(&self.store, &self.order.id).await.unwrap().unwrap();
        match order.status {
            OrderStatus::Created | OrderStatus::AwaitingPayment => "open",
            OrderStatus::Complete => "complete",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Refunded => "refunded",
            OrderStatus::Disputed => "disputed",
        }
        .to_owned()
    }

    /// `order · ticket · money`, as the table writes a cell.
    async fn cell(&self) -> String {
        let ticket = TicketStore::get(&self.store, &self.ticket.id).await.unwrap().unwrap();
        let ticket = match ticket.status {
            TicketStatus::Available => "available",
            TicketStatus::Reserved => "reserved",
            TicketStatus::Sold => "sold",
        };
        let payment = self.store.for_order(&self.order.id).await.unwrap().unwrap();
        let intent = self.gateway.get_intent(&self.intent).await.unwrap();
        let refunded = self.gateway.refund_of(&self.intent).await.unwrap().is_some();
        let dispute = payment.dispute.as_ref().map(|dispute| dispute.status);
        let money = match () {
            _ if dispute == Some(DisputeStatus::Lost) => "taken back",
            _ if refunded => "refunded",
            _ if dispute == Some(DisputeStatus::Open) => "held",
            _ if !payment.amount_refunded.is_zero() && payment.status != PaymentStatus::Refunded => "partly refunded",
            _ if intent.status == IntentStatus::Succeeded => "kept",
            _ => "none",
        };
        format!("{} · {ticket} · {money}", self.state().await)
    }

    /// Makes sure the buyer was charged (paid in the browser, not reported yet); false when
    /// the gateway refuses (the intent was cancelled).
    fn charged(&self) -> bool {
        self.gateway.complete_in_browser(&self.intent).is_ok()
    }

    /// Makes `outcome` happen and reports it (`round` tells the event ids apart); false when
    /// the gateway refuses it.
    async fn happen(&self, outcome: Outcome, round: &str) -> bool {
        let id = |what: &str| format!("evt_{what}_{round}");
        match outcome {
            Outcome::Succeeded => {
                if !self.charged() {
                    return false;
                }
                self.report_success(&id("succeeded")).await;
            }
            Outcome::Mismatch => {
                let intent = self.gateway.get_intent(&self.intent).await.unwrap();
                if intent.status == IntentStatus::Succeeded && round == "first" {
                    return false; // An intent succeeds once; its amount is fixed from then on.
                }
                if round == "first" {
                    self.gateway.change_amount(&self.intent, intent.amount + 100, &intent.currency).unwrap();
                }
                if !self.charged() {
                    return false;
                }
                self.report_success(&id("mismatch")).await;
            }
            Outcome::Failed => {
                let kind = GatewayEventKind::IntentFailed {
                    order: self.order.id.clone(),
                    intent: self.intent.clone(),
                    message: Some("Your card was declined.".into()),
                };
                self.report(&id("failed"), kind).await;
            }
            Outcome::Canceled => {
                let intent = self.gateway.cancel_intent(&self.intent).await.unwrap();
                if intent.status != IntentStatus::Canceled {
                    return false; // A succeeded intent cannot be cancelled.
                }
                let kind = GatewayEventKind::Other { kind: "payment_intent.canceled".into() };
                self.report(&id("canceled"), kind).await;
            }
            Outcome::FullRefund => {
                if !self.charged() {
                    return false;
                }
                let refund = match self.gateway.refund_from_dashboard(&self.intent) {
                    Ok(refund) => refund,
                    Err(_) => self.gateway.refund_of(&self.intent).await.unwrap().expect("refunded before"),
                };
                self.report(&id("refunded"), self.refunded(4500, true, &refund)).await;
            }
            Outcome::PartialRefund => {
                if !self.charged() {
                    return false;
                }
                self.report(&id("partly"), self.refunded(1000, false, "re_partial")).await;
            }
            Outcome::RefundFailed => {
                if !self.charged() {
                    return false;
                }
                let kind = GatewayEventKind::RefundFailed { intent: self.intent.clone(), refund: "re_failed".into() };
                self.report(&id("refund_failed"), kind).await;
            }
            Outcome::DisputeOpened | Outcome::DisputeWon | Outcome::DisputeLost => {
                if !self.charged() {
                    return false;
                }
                let status = match outcome {
                    Outcome::DisputeOpened => DisputeStatus::Open,
                    Outcome::DisputeWon => DisputeStatus::Won,
                    _ => DisputeStatus::Lost,
                };
                self.report(&id("dispute"), self.dispute(status)).await;
            }
        }
        true
    }
}

/// The README's table: for each outcome, its label and one cell per state.
fn table() -> Vec<(String, Vec<String>)> {
    let readme = std::fs::read_to_string(ticketing_tests::repo_root().join("README.md")).unwrap();
    let start = readme.find("<!-- outcomes:start -->").expect("the table's start marker");
    let end = readme.find("<!-- outcomes:end -->").expect("the table's end marker");
    let rows: Vec<Vec<String>> = readme[start..end]
        .lines()
        .filter(|line| line.starts_with('|'))
        .map(|line| line.trim_matches('|').split('|').map(|cell| cell.trim().trim_matches('*').to_owned()).collect())
        .collect();
    let header = &rows[0];
    assert_eq!(header[1..], STATES.map(|state| format!("`{state}`")), "the table's columns are the order states");
    rows[2..].iter().map(|row| (row[0].clone(), row[1..].to_vec())).collect()
}

#[tokio::test]
async fn every_cell_of_the_outcomes_table_is_what_happens_and_repeated_reports_change_nothing_more() {
    let table = table();
    let labels: Vec<&str> = table.iter().map(|(label, _)| label.as_str()).collect();
    assert_eq!(labels, OUTCOMES.map(|(_, label)| label), "the table's rows are the gateway's outcomes");
    let mut failures = Vec::new();
    for ((outcome, label), (_, cells)) in OUTCOMES.iter().zip(&table) {
        for (state, expected) in STATES.iter().zip(cells) {
            let case = Case::new(state).await;
            let happened = case.happen(*outcome, "first").await;
            let cell = if happened { case.cell().await } else { "cannot happen".to_owned() };
            if !expected.starts_with(&cell) {
                failures.push(format!("{label} × {state}: the table says {expected:?}, it is {cell:?}"));
                continue;
            }
            if happened {
                // Stripe redelivers (the same ids) and reports again (new ids): nothing more.
                case.happen(*outcome, "first").await;
                case.happen(*outcome, "again").await;
                let again = case.cell().await;
                if again != cell {
                    failures.push(format!("{label} × {state}: {cell:?}, then {again:?} when reported again"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
