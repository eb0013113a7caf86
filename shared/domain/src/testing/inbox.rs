//! Every `Inbox`: an event id is recorded per consumer.

use crate::ports::Inbox;

pub async fn an_event_is_seen_once_recorded_and_only_by_its_consumer(inbox: impl Inbox) {
    assert!(!inbox.seen("catalogue", "01EVENT").await.unwrap());
    inbox.record("catalogue", "01EVENT").await.unwrap();
    inbox.record("catalogue", "01EVENT").await.unwrap();
    assert!(inbox.seen("catalogue", "01EVENT").await.unwrap());
    assert!(!inbox.seen("notifications", "01EVENT").await.unwrap(), "each consumer has its own record");
    assert!(!inbox.seen("catalogue", "01OTHER").await.unwrap());
}
