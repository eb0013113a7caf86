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
    async fn publish(&self, events: &[Event]) -> Result<()> {
        for batch in events.chunks(Self::BATCH) {
            let entries = batch.iter().map(|event| self.entry(event)).collect::<Result<Vec<_>>>()?;
            let output = self
                .client
                .put_events()
                .set_entries(Some(entries))
                .send()
                .await
                .with_context(|| format!("putting events on bus {}", self.bus))?;
            if output.failed_entry_count > 0 {
                let reasons: Vec<String> = output
                    .entries()
                    .iter()
                    .filter_map(|entry| {
                        entry.error_code().map(|code| format!("{code}: {}", entry.error_message().unwrap_or("")))
                    })
                    .collect();
                return Err(Error::Internal(anyhow!(
                    "{} of {} events refused by bus {}: {}",
                    output.failed_entry_count,
                    batch.len(),
                    self.bus,
                    reasons.join("; ")
                )));
            }
        }
        Ok(())
    }
}
