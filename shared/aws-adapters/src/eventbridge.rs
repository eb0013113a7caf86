//! EventBridge: domain events go on the bus with `source` = the owning service,
//! `detail-type` = the event type and `detail` = the envelope.

use anyhow::{Context, anyhow};
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use domain::events::Event;
use domain::ports::EventPublisher;
use domain::{Error, Result};

use crate::resources::EventBusName;

#[derive(Clone)]
pub struct EventBridgePublisher {
    client: Client,
    bus: String,
}

impl EventBridgePublisher {
    /// PutEvents takes at most ten entries a call.
    const BATCH: usize = 10;

    pub fn new(client: Client, bus: &EventBusName) -> Self {
        Self { client, bus: bus.name().to_owned() }
    }

    fn entry(&self, event: &Event) -> Result<PutEventsRequestEntry> {
        Ok(PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(event.kind.source())
            .detail_type(event.kind.as_str())
            .detail(serde_json::to_string(event).map_err(|e| Error::internal(e, "encoding an event"))?)
            .time(aws_sdk_eventbridge::primitives::DateTime::from_millis(event.time.timestamp_millis()))
            .build())
    }
}

impl EventPublisher for EventBridgePublisher {
    /// Puts the events ten at a time. When PutEvents refuses some entries of a call, only
    /// those are sent again, a few times; what is still refused fails the publish.
    async fn publish(&self, events: &[Event]) -> Result<()> {
        const ATTEMPTS: u32 = 3;
        for batch in events.chunks(Self::BATCH) {
            let mut pending: Vec<PutEventsRequestEntry> =
                batch.iter().map(|event| self.entry(event)).collect::<Result<_>>()?;
            for attempt in 1..=ATTEMPTS {
                let output = self
                    .client
                    .put_events()
                    .set_entries(Some(pending.clone()))
                    .send()
                    .await
                    .with_context(|| format!("putting events on bus {}", self.bus))?;
                if output.failed_entry_count == 0 {
                    break;
                }
                // The result entries match the request entries by position; a refused one has an error code.
                let refused: Vec<(PutEventsRequestEntry, String)> = pending
                    .into_iter()
                    .zip(output.entries())
                    .filter_map(|(entry, result)| {
                        result
                            .error_code()
                            .map(|code| (entry, format!("{code}: {}", result.error_message().unwrap_or(""))))
                    })
                    .collect();
                if attempt == ATTEMPTS || refused.is_empty() {
                    let reasons: Vec<String> = refused.into_iter().map(|(_, reason)| reason).collect();
                    return Err(Error::Internal(anyhow!(
                        "{} events refused by bus {} after {attempt} attempts: {}",
                        output.failed_entry_count,
                        self.bus,
                        reasons.join("; ")
                    )));
                }
                tracing::warn!(refused = refused.len(), attempt, bus = %self.bus, "the bus refused some events; sending those again");
                pending = refused.into_iter().map(|(entry, _)| entry).collect();
                tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
            }
        }
        Ok(())
    }
}
