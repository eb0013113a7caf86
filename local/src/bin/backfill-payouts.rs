//! Gives every order completed before payouts existed its payout: a one-off pass, safe to
//! run again (an order that has a payout keeps it).
//!
//! `backfill-payouts`: on AWS, the tables of the environment (`ORDERS_TABLE`,
//! `TICKETS_TABLE`, `PAYMENTS_TABLE`, `PAYOUTS_TABLE`, `OUTBOX_TABLE`, as the payment
//! functions read them) with the usual AWS credentials.
//! `backfill-payouts --local [DIR]`: the local runner's store under DIR (`.local-data`);
//! the runner must not be running.

use anyhow::Context;
use aws_adapters::{Aws, DynamoOrders, PaymentWrites};
use chrono::Utc;
use domain::config::Env;
use domain::payouts;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let now = Utc::now();
    let (read, written) = match args.next().as_deref() {
        Some("--local") => {
            let dir = args.next().unwrap_or_else(|| ".local-data".to_owned());
            let store = embedded::EmbeddedStore::open(&std::path::Path::new(&dir).join("ticketing.redb"))?;
            let orders = store.all_orders().await?;
            let mut written = 0;
            for order in &orders {
                written += usize::from(payouts::backfill(&store, order, now).await?);
            }
            (orders.len(), written)
        }
        None => {
            let tables: PaymentWrites = Env::process().load().context("the tables to backfill")?;
            let client = Aws::load_for_operator().await.dynamodb();
            let (scanner, store) = (DynamoOrders::new(client.clone(), &tables.orders.orders), tables.stores(client));
            let (mut read, mut written, mut after) = (0, 0, None);
            loop {
                let (orders, next) = scanner.scan(after.as_deref()).await?;
                read += orders.len();
                for order in &orders {
                    written += usize::from(payouts::backfill(&store, order, now).await?);
                }
                match next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
            (read, written)
        }
        Some(other) => anyhow::bail!("usage: backfill-payouts [--local [DIR]] (not {other:?})"),
    };
    println!("{read} orders read, {written} payouts written");
    Ok(())
}
