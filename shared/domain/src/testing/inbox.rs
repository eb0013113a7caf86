//! Every `Inbox`: an event is claimed by one delivery at a time, per consumer; a completed
//! claim is done for good; a released or expired one may be taken again.

use chrono::{Duration, Utc};

use crate::ports::{Claim, Inbox};

pub async fn an_event_is_claimed_once_completed_for_good_and_only_by_its_consumer(inbox: impl Inbox) {
    let now = Utc::now();
    let lease = now + Duration::seconds(60);
    assert_eq!(inbox.claim("catalogue", "01EVENT", now, lease).await.unwrap(), Claim::Acquired);
    assert_eq!(inbox.claim("catalogue", "01EVENT", now, lease).await.unwrap(), Claim::Busy, "a live claim");
    assert_eq!(inbox.claim("notifications", "01EVENT", now, lease).await.unwrap(), Claim::Acquired, "per consumer");
    inbox.complete("catalogue", "01EVENT").await.unwrap();
    assert_eq!(inbox.claim("catalogue", "01EVENT", now, lease).await.unwrap(), Claim::Done);
    let much_later = now + Duration::days(1);
    assert_eq!(
        inbox.claim("catalogue", "01EVENT", much_later, much_later).await.unwrap(),
        Claim::Done,
        "done for good"
    );
    assert_eq!(inbox.claim("catalogue", "01OTHER", now, lease).await.unwrap(), Claim::Acquired);
}

pub async fn a_released_or_expired_claim_is_taken_again(inbox: impl Inbox) {
    let now = Utc::now();
    let lease = now + Duration::seconds(60);
    assert_eq!(inbox.claim("consumer", "01FAILED", now, lease).await.unwrap(), Claim::Acquired);
    inbox.release("consumer", "01FAILED").await.unwrap();
    assert_eq!(inbox.claim("consumer", "01FAILED", now, lease).await.unwrap(), Claim::Acquired, "released");

    assert_eq!(inbox.claim("consumer", "01CRASHED", now, lease).await.unwrap(), Claim::Acquired);
    let before_expiry = lease - Duration::seconds(1);
    assert_eq!(
        inbox.claim("consumer", "01CRASHED", before_expiry, before_expiry + Duration::seconds(60)).await.unwrap(),
        Claim::Busy
    );
    let after = lease + Duration::seconds(1);
    assert_eq!(
        inbox.claim("consumer", "01CRASHED", after, after + Duration::seconds(60)).await.unwrap(),
        Claim::Acquired,
        "retaken"
    );
    inbox.complete("consumer", "01CRASHED").await.unwrap();
    inbox.release("consumer", "01CRASHED").await.unwrap();
    assert_eq!(
        inbox.claim("consumer", "01CRASHED", after, after).await.unwrap(),
        Claim::Done,
        "a release never undoes a completion"
    );
}

pub async fn of_concurrent_claims_exactly_one_is_acquired(inbox: impl Inbox + Clone + 'static) {
    const RACERS: usize = 8;
    let now = Utc::now();
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..RACERS {
        let inbox = inbox.clone();
        racers.spawn(async move { inbox.claim("racing", "01RACE", now, now + Duration::seconds(60)).await.unwrap() });
    }
    let claims = racers.join_all().await;
    assert_eq!(claims.iter().filter(|claim| **claim == Claim::Acquired).count(), 1, "{claims:?}");
    assert_eq!(claims.iter().filter(|claim| **claim == Claim::Busy).count(), RACERS - 1, "{claims:?}");
}
