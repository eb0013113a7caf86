//! Every `NotificationStore`: per user, newest first, one per id.

use std::time::Duration;

use chrono::Utc;

use crate::entities::Notification;
use crate::ids::UserId;
use crate::page::PageRequest;
use crate::ports::NotificationStore;

fn notification(user: &str, kind: &str) -> Notification {
    Notification {
        id: ulid::Ulid::new().to_string(),
        user_id: UserId::from(user),
        kind: kind.to_owned(),
        message: format!("{kind} for {user}"),
        order_id: "order".into(),
        created_at: Utc::now(),
    }
}

pub async fn each_user_pages_their_notifications_newest_first(store: impl NotificationStore) {
    let mut ada = Vec::new();
    for n in 0..3 {
        let note = notification("ada", &format!("n{n}"));
        store.add(&note).await.unwrap();
        store.add(&note).await.unwrap();
        ada.push(note);
        store.add(&notification("grace", "other")).await.unwrap();
        tokio::time::sleep(Duration::from_millis(2)).await; // distinct ULID milliseconds
    }
    let first = store.list(&UserId::from("ada"), &PageRequest::first(2)).await.unwrap();
    assert_eq!(first.items, vec![ada[2].clone(), ada[1].clone()]);
    let rest = store.list(&UserId::from("ada"), &PageRequest { limit: 2, after: first.next }).await.unwrap();
    assert_eq!((rest.items, rest.next), (vec![ada[0].clone()], None));
    assert!(store.list(&UserId::from("nobody"), &PageRequest::first(5)).await.unwrap().items.is_empty());
}
