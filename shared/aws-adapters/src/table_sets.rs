//! The table sets the write paths of the services use, each read from its variables and
//! (with the `sdk` feature) turned into the stores the use cases take.

#[cfg(feature = "sdk")]
use aws_sdk_dynamodb::Client;
use domain::config::{ConfigError, Env, FromEnv};
#[cfg(feature = "sdk")]
use domain::ports::StoreSet;

#[cfg(feature = "sdk")]
use crate::dynamodb::{DynamoChanges, DynamoOrders, DynamoPayments, DynamoPayouts, DynamoTickets};
use crate::resources::{OrdersTable, OutboxTable, PaymentsTable, PayoutsTable, TicketsTable};

/// What changes tickets: the tickets table and the outbox.
#[derive(Debug, Clone)]
pub struct TicketWrites {
    pub tickets: TicketsTable,
    pub outbox: OutboxTable,
}

impl FromEnv for TicketWrites {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self { tickets: env.load()?, outbox: env.load()? })
    }
}

#[cfg(feature = "sdk")]
impl TicketWrites {
    pub fn stores(&self, client: Client) -> StoreSet<DynamoTickets, (), (), DynamoChanges> {
        StoreSet {
            tickets: DynamoTickets::new(client.clone(), &self.tickets),
            orders: (),
            payments: (),
            changes: DynamoChanges::new(client, &self.outbox).with_tickets(&self.tickets),
            payouts: (),
        }
    }
}

/// What a buyer's problem report and its resolution change: the order and its payout (they
/// announce nothing).
#[derive(Debug, Clone)]
pub struct ProblemWrites {
    pub orders: OrdersTable,
    pub payouts: PayoutsTable,
}

impl FromEnv for ProblemWrites {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self { orders: env.load()?, payouts: env.load()? })
    }
}

#[cfg(feature = "sdk")]
impl ProblemWrites {
    pub fn stores(&self, client: Client) -> StoreSet<(), DynamoOrders, (), DynamoChanges, DynamoPayouts> {
        StoreSet {
            tickets: (),
            orders: DynamoOrders::new(client.clone(), &self.orders),
            payments: (),
            changes: DynamoChanges::announcing_nothing(client.clone())
                .with_orders(&self.orders)
                .with_payouts(&self.payouts),
            payouts: DynamoPayouts::new(client, &self.payouts),
        }
    }
}

/// What changes orders and the tickets they hold: orders, tickets and the outbox.
#[derive(Debug, Clone)]
pub struct OrderWrites {
    pub orders: OrdersTable,
    pub tickets: TicketsTable,
    pub outbox: OutboxTable,
}

impl FromEnv for OrderWrites {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self { orders: env.load()?, tickets: env.load()?, outbox: env.load()? })
    }
}

#[cfg(feature = "sdk")]
impl OrderWrites {
    pub fn stores(&self, client: Client) -> StoreSet<DynamoTickets, DynamoOrders, (), DynamoChanges> {
        StoreSet {
            tickets: DynamoTickets::new(client.clone(), &self.tickets),
            orders: DynamoOrders::new(client.clone(), &self.orders),
            payments: (),
            changes: DynamoChanges::new(client, &self.outbox).with_tickets(&self.tickets).with_orders(&self.orders),
            payouts: (),
        }
    }
}

/// What changes payouts and payout accounts: the payouts table, and the outbox (a transfer
/// announces itself to the seller).
#[derive(Debug, Clone)]
pub struct PayoutWrites {
    pub payouts: PayoutsTable,
    /// A transferred payout's event (`payout.paid`, which tells the seller).
    pub outbox: OutboxTable,
}

impl FromEnv for PayoutWrites {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self { payouts: env.load()?, outbox: env.load()? })
    }
}

#[cfg(feature = "sdk")]
impl PayoutWrites {
    pub fn stores(&self, client: Client) -> StoreSet<(), (), (), DynamoChanges, DynamoPayouts> {
        StoreSet {
            tickets: (),
            orders: (),
            payments: (),
            changes: DynamoChanges::new(client.clone(), &self.outbox).with_payouts(&self.payouts),
            payouts: DynamoPayouts::new(client, &self.payouts),
        }
    }
}

/// What changes payments, the orders and tickets they complete, and the payouts of those
/// sales: those four tables and the outbox.
#[derive(Debug, Clone)]
pub struct PaymentWrites {
    pub orders: OrderWrites,
    pub payments: PaymentsTable,
    pub payouts: PayoutsTable,
}

impl FromEnv for PaymentWrites {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self { orders: env.load()?, payments: env.load()?, payouts: env.load()? })
    }
}

/// The stores of [`PaymentWrites`].
#[cfg(feature = "sdk")]
pub type PaymentStores = StoreSet<DynamoTickets, DynamoOrders, DynamoPayments, DynamoChanges, DynamoPayouts>;

#[cfg(feature = "sdk")]
impl PaymentWrites {
    pub fn stores(&self, client: Client) -> PaymentStores {
        let orders = self.orders.stores(client.clone());
        StoreSet {
            tickets: orders.tickets,
            orders: orders.orders,
            payments: DynamoPayments::new(client.clone(), &self.payments),
            changes: orders.changes.with_payments(&self.payments).with_payouts(&self.payouts),
            payouts: DynamoPayouts::new(client, &self.payouts),
        }
    }
}

/// What the check of a ticket file changes: the ticket, and for a complete sale its payout
/// (and the outbox, for `ticket.delivered`); it reads the sale's order.
#[derive(Debug, Clone)]
pub struct FileWrites {
    pub orders: OrderWrites,
    pub payouts: PayoutsTable,
}

impl FromEnv for FileWrites {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self { orders: env.load()?, payouts: env.load()? })
    }
}

#[cfg(feature = "sdk")]
impl FileWrites {
    pub fn stores(&self, client: Client) -> StoreSet<DynamoTickets, DynamoOrders, (), DynamoChanges, DynamoPayouts> {
        StoreSet {
            tickets: DynamoTickets::new(client.clone(), &self.orders.tickets),
            orders: DynamoOrders::new(client.clone(), &self.orders.orders),
            payments: (),
            changes: DynamoChanges::new(client.clone(), &self.orders.outbox)
                .with_tickets(&self.orders.tickets)
                .with_payouts(&self.payouts),
            payouts: DynamoPayouts::new(client, &self.payouts),
        }
    }
}

/// What reads a ticket with the order that bought it: the tickets and orders tables.
#[derive(Debug, Clone)]
pub struct SaleReads {
    pub tickets: TicketsTable,
    pub orders: OrdersTable,
}

impl FromEnv for SaleReads {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self { tickets: env.load()?, orders: env.load()? })
    }
}

#[cfg(feature = "sdk")]
impl SaleReads {
    pub fn stores(&self, client: Client) -> StoreSet<DynamoTickets, DynamoOrders> {
        StoreSet {
            tickets: DynamoTickets::new(client.clone(), &self.tickets),
            orders: DynamoOrders::new(client, &self.orders),
            payments: (),
            changes: (),
            payouts: (),
        }
    }
}

/// What reads an order's page: the orders, payments and tickets tables.
#[derive(Debug, Clone)]
pub struct OrderPageReads {
    pub tickets: TicketsTable,
    pub orders: OrdersTable,
    pub payments: PaymentsTable,
}

impl FromEnv for OrderPageReads {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self { tickets: env.load()?, orders: env.load()?, payments: env.load()? })
    }
}

#[cfg(feature = "sdk")]
impl OrderPageReads {
    pub fn stores(&self, client: Client) -> StoreSet<DynamoTickets, DynamoOrders, DynamoPayments> {
        StoreSet {
            tickets: DynamoTickets::new(client.clone(), &self.tickets),
            orders: DynamoOrders::new(client.clone(), &self.orders),
            payments: DynamoPayments::new(client, &self.payments),
            changes: (),
            payouts: (),
        }
    }
}

/// What reads an order with its payments: the orders and payments tables.
#[derive(Debug, Clone)]
pub struct PaymentReads {
    pub orders: OrdersTable,
    pub payments: PaymentsTable,
}

impl FromEnv for PaymentReads {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self { orders: env.load()?, payments: env.load()? })
    }
}

#[cfg(feature = "sdk")]
impl PaymentReads {
    pub fn stores(&self, client: Client) -> StoreSet<(), DynamoOrders, DynamoPayments> {
        StoreSet {
            tickets: (),
            orders: DynamoOrders::new(client.clone(), &self.orders),
            payments: DynamoPayments::new(client, &self.payments),
            changes: (),
            payouts: (),
        }
    }
}
