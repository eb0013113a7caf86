//! One suite, every `NotificationStore`: the embedded store and DynamoDB (on moto server).

use domain::testing::notifications as notification_store_suite;
use embedded::EmbeddedStore;
use ticketing_tests::moto;

#[tokio::test]
async fn embedded_notifications_page_per_user_newest_first() {
    notification_store_suite::each_user_pages_their_notifications_newest_first(EmbeddedStore::in_memory()).await;
}

#[tokio::test]
async fn dynamodb_notifications_page_per_user_newest_first() {
    notification_store_suite::each_user_pages_their_notifications_newest_first(moto::notification_store().await).await;
}
