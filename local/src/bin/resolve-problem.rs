//! Resolves the open problem a buyer reported with an order: the order records it resolved
//! and its payout is no longer held for it (released at its time, or by the next sweep if
//! that has passed). To uphold a problem instead, refund the charge (Stripe's dashboard):
//! the refund cancels the payout, as any refund before release does.
//!
//! `resolve-problem ORDER_ID`: on AWS, the tables of the environment (`ORDERS_TABLE`,
//! `PAYOUTS_TABLE`, as orders-problem reads them) with the usual AWS credentials.
//! `resolve-problem ORDER_ID --local [DIR]`: the local runner's store under DIR
//! (`.local-data`); the runner must not be running.

use anyhow::Context;
use aws_adapters::{Aws, ProblemWrites};
use chrono::Utc;
use domain::config::Env;
use domain::ids::OrderId;
use domain::payouts;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: resolve-problem ORDER_ID [--local [DIR]]";
    let order = args.next().and_then(|id| OrderId::parse(&id)).context(usage)?;
    let now = Utc::now();
    let resolved = match args.next().as_deref() {
        Some("--local") => {
            let dir = args.next().unwrap_or_else(|| ".local-data".to_owned());
            let store = embedded::EmbeddedStore::open(&std::path::Path::new(&dir).join("ticketing.redb"))?;
            payouts::resolve(&store, &order, now).await?
        }
        None => {
            let tables: ProblemWrites = Env::process().load().context("the tables of orders-problem")?;
            payouts::resolve(&tables.stores(Aws::load_for_operator().await.dynamodb()), &order, now).await?
        }
        Some(other) => anyhow::bail!("{usage} (not {other:?})"),
    };
    if resolved {
        println!("the problem with order {order} is resolved: its payout is no longer held for it");
    } else {
        println!("order {order} has no open problem: nothing changed");
    }
    Ok(())
}
