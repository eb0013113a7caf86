//! One suite per port (`domain::testing`), run on every adapter of it: the embedded ones,
//! DynamoDB and S3 on moto, and Stripe on localstripe.

/// Each named test of the runner's `suite` module on each adapter: a module per adapter
/// (`embedded`, `dynamodb`, ...) holding one test per suite function of the same name, which
/// calls it with the adapter's arguments, made afresh for each test. A test named with a
/// flavour (`racing("multi_thread")`) runs on four worker threads.
macro_rules! conformance {
    ($($adapter:ident $args:tt),+ $(,)? ; $tests:tt) => {
        $( conformance!(@adapter $adapter $args $tests); )+
    };
    (@adapter $adapter:ident $args:tt [$($test:ident $(($flavor:tt))?),* $(,)?]) => {
        mod $adapter {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test $((flavor = $flavor, worker_threads = 4))?]
                async fn $test() {
                    super::suite::$test $args.await;
                }
            )*
        }
    };
}

/// The same on the embedded store and on DynamoDB against moto, for suites that take the
/// stores whole.
macro_rules! on_both_stores {
    ($($tests:tt)*) => {
        conformance!(
            embedded(::embedded::EmbeddedStore::in_memory()),
            dynamodb(ticketing_tests::moto::stores().await.0);
            [$($tests)*]
        );
    };
}

mod change_store_conformance;
mod file_store_conformance;
mod inbox_conformance;
mod mailer_conformance;
mod notification_store_conformance;
mod order_store_conformance;
mod payment_gateway_conformance;
mod payment_store_conformance;
mod payout_gateway_conformance;
mod payout_store_conformance;
mod sign_in_attempts_conformance;
mod user_store_conformance;
