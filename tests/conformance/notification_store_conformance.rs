//! One suite, every `NotificationStore`: the embedded store and DynamoDB (on moto server).

use ::embedded::EmbeddedStore;
use domain::testing::notifications as suite;

conformance!(
    embedded(EmbeddedStore::in_memory()),
    dynamodb(ticketing_tests::moto::notification_store().await);
    [each_user_pages_their_notifications_newest_first]
);
