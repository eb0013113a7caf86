//! One suite per port (`domain::testing`), run on every adapter of it: the embedded ones,
//! DynamoDB and S3 on moto, and Stripe on localstripe.

/// Each named test of the runner's `suite` module, on the embedded store (`mod embedded`)
/// and on DynamoDB against moto (`mod dynamodb`), for suites that take the stores whole.
macro_rules! on_both_stores {
    ($($test:ident),+ $(,)?) => {
        mod embedded {
            use super::suite;
            $(
                #[tokio::test]
                async fn $test() {
                    suite::$test(::embedded::EmbeddedStore::in_memory()).await;
                }
            )+
        }

        mod dynamodb {
            use super::suite;
            $(
                #[tokio::test]
                async fn $test() {
                    suite::$test(ticketing_tests::moto::stores().await.0).await;
                }
            )+
        }
    };
}

mod change_store_conformance;
mod file_store_conformance;
mod inbox_conformance;
mod notification_store_conformance;
mod order_store_conformance;
mod payment_gateway_conformance;
mod payment_store_conformance;
mod payout_gateway_conformance;
mod payout_store_conformance;
mod sign_in_attempts_conformance;
mod user_store_conformance;
