//! Publishes again the events of the outbox that happened in a time window, oldest first:
//! after an outage longer than the relay's stream keeps records (24 hours), or to replay a
//! window for a consumer that was down. Consumers deduplicate by event id, so what they
//! already handled is a no-op. Credentials and region come from the environment, as the
//! AWS CLI's do.
//!
//!   republish <outbox table> <event bus> <from> <to>     (RFC 3339 times)

use anyhow::{Context, bail};
use aws_adapters::{Aws, EventBridgePublisher, EventBusName, Outbox, OutboxTable};
use chrono::{DateTime, Utc};
use domain::ports::EventPublisher;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [table, bus, from, to] = args.as_slice() else {
        bail!("usage: republish <outbox table> <event bus> <from> <to> (RFC 3339 times)");
    };
    let time = |raw: &str| raw.parse::<DateTime<Utc>>().with_context(|| format!("{raw:?} is not an RFC 3339 time"));
    let (from, to) = (time(from)?, time(to)?);
    let aws = Aws::load_for_operator().await;
    let events = Outbox::events_between(&aws.dynamodb(), &OutboxTable(table.clone()), from, to).await?;
    let publisher = EventBridgePublisher::new(aws.eventbridge(), &EventBusName(bus.clone()));
    publisher.publish(&events).await?;
    println!("published {} events of {from} to {to} again", events.len());
    Ok(())
}
