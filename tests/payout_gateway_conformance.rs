//! One suite, both payout gateways: the built-in test gateway (the local runner's) and the
//! Stripe adapter (Connect) against localstripe's stand-in of Connect.

use domain::entities::IntentRequest;
use domain::ids::{OrderId, UserId};
use domain::money::Money;
use domain::ports::{PaymentGateway, PayoutGateway};
use domain::testing::payout_gateway::{self as suite, PayoutHarness};
use embedded::TestGateway;
use stripe_adapter::StripeGateway;

/// A buyer pays `amount` through `gateway`: the PaymentIntent a transfer is made from.
async fn charged(gateway: &impl PaymentGateway, amount: i64) -> String {
    let (order, buyer) = (OrderId::generate(), UserId::from("buyer"));
    let request =
        IntentRequest { amount: Money::from_minor(amount), currency: "usd", order_id: &order, user_id: &buyer };
    let intent = gateway.create_intent(&request).await.unwrap();
    gateway.confirm(&intent.id, "pm_card_visa").await.unwrap().id
}

/// The provider's side of the test gateway: its buyers pay, its sellers onboard and withdraw.
struct TestProvider(TestGateway);

impl PayoutHarness for TestProvider {
    async fn charged(&self, amount: i64) -> String {
        charged(&self.0, amount).await
    }

    async fn onboard(&self, account: &str) {
        self.0.complete_onboarding(account).unwrap();
    }

    async fn withdraw(&self, account: &str, amount: Money) {
        self.0.withdraw(account, amount).unwrap();
    }
}

/// The same on localstripe: payments through the adapter, sellers through its `_config` routes.
struct StripeProvider(StripeGateway);

impl StripeProvider {
    async fn config(&self, path: String, form: &[(&str, String)]) {
        let url = format!("{}/_config/accounts/{path}", ticketing_tests::localstripe::endpoint());
        let reply = reqwest::Client::new().post(url).form(form).send().await.unwrap();
        assert!(reply.status().is_success(), "{}", reply.text().await.unwrap());
    }
}

impl PayoutHarness for StripeProvider {
    async fn charged(&self, amount: i64) -> String {
        charged(&self.0, amount).await
    }

    async fn onboard(&self, account: &str) {
        self.config(format!("{account}/onboard"), &[]).await;
    }

    async fn withdraw(&self, account: &str, amount: Money) {
        self.config(format!("{account}/withdraw"), &[("amount", amount.minor().to_string())]).await;
    }
}

macro_rules! payout_gateway_conformance {
    ($adapter:ident, $gateway:expr, $provider:expr) => {
        mod $adapter {
            use super::*;

            fn both() -> (impl PayoutGateway, impl PayoutHarness) {
                let gateway = $gateway;
                (gateway.clone(), $provider(gateway))
            }

            #[tokio::test]
            async fn an_account_is_created_once_per_seller_and_enabled_by_onboarding() {
                let (gateway, provider) = both();
                suite::an_account_is_created_once_per_seller_and_enabled_by_onboarding(gateway, provider).await;
            }

            #[tokio::test]
            async fn a_transfer_is_made_once_per_order_and_only_to_an_enabled_account() {
                let (gateway, provider) = both();
                suite::a_transfer_is_made_once_per_order_and_only_to_an_enabled_account(gateway, provider).await;
            }

            #[tokio::test]
            async fn a_reversal_is_made_once_per_key_and_takes_back_nothing_the_account_cannot_cover() {
                let (gateway, provider) = both();
                suite::a_reversal_is_made_once_per_key_and_takes_back_nothing_the_account_cannot_cover(
                    gateway, provider,
                )
                .await
                .unwrap();
            }
        }
    };
}

payout_gateway_conformance!(test_gateway, TestGateway::new(), TestProvider);
payout_gateway_conformance!(stripe, ticketing_tests::localstripe::gateway(), StripeProvider);
