//! One suite, both payout gateways: the built-in test gateway (the local runner's) and the
//! Stripe adapter (Connect) against localstripe's stand-in of Connect.

use domain::entities::{AccountEventKind, IntentRequest};
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
        ticketing_tests::localstripe::onboard(account).await;
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

/// What the shim answers at `path` (`form`: a POST of it, else a GET), as text.
async fn shim(path: &str, form: Option<&[(&str, &str)]>) -> String {
    let (status, text) = shim_as(None, path, form).await;
    assert!(status.is_success(), "{path}: {status} {text}");
    text
}

/// The same, on behalf of connected account `account` (`Stripe-Account`): status and text.
async fn shim_as(account: Option<&str>, path: &str, form: Option<&[(&str, &str)]>) -> (reqwest::StatusCode, String) {
    let url = format!("{}{path}", ticketing_tests::localstripe::endpoint());
    let client = reqwest::Client::new();
    let request = match form {
        Some(form) => client.post(url).form(form),
        None => client.get(url),
    };
    let request = match account {
        Some(account) => request.header("Stripe-Account", account),
        None => request,
    };
    let reply = request.bearer_auth("sk_test_localstripe").send().await.unwrap();
    (reply.status(), reply.text().await.unwrap())
}

/// `json` read into Stripe's own type `T`, every field it requires and every value it knows.
fn typed<T: miniserde::Deserialize>(what: &str, json: &str) -> T {
    miniserde::json::from_str(json).unwrap_or_else(|_| panic!("{what} does not decode into Stripe's type: {json}"))
}

#[tokio::test]
async fn the_shims_connect_answers_decode_into_stripes_own_types() {
    use stripe_connect::{AccountLink, LoginLink};
    use stripe_shared::{Account, Transfer, TransferReversal};
    use stripe_types::List;

    let account: Account =
        typed("an account", &shim("/v1/accounts", Some(&[("type", "express"), ("metadata[user_id]", "seller")])).await);
    let id = account.id.as_str().to_owned();
    assert_eq!(account.payouts_enabled, Some(false));
    let form = [
        ("account", id.as_str()),
        ("type", "account_onboarding"),
        ("return_url", "https://x/r"),
        ("refresh_url", "https://x/f"),
    ];
    let link: AccountLink = typed("an account link", &shim("/v1/account_links", Some(&form)).await);
    assert!(
        link.url.contains(&format!("/_config/connect/onboarding/{id}?")),
        "the hosted onboarding's stand-in: {}",
        link.url
    );
    shim(&format!("/_config/accounts/{id}/onboard"), Some(&[])).await;
    let onboarded: Account = typed("an account", &shim(&format!("/v1/accounts/{id}"), None).await);
    assert_eq!(onboarded.payouts_enabled, Some(true));
    let login: LoginLink = typed("a login link", &shim(&format!("/v1/accounts/{id}/login_links"), Some(&[])).await);
    assert!(login.url.starts_with("https://"));

    let gateway = StripeGateway::new(&ticketing_tests::localstripe::key()).unwrap();
    let intent = charged(&gateway, 4500).await;
    let paid: serde_json::Value =
        serde_json::from_str(&shim(&format!("/v1/payment_intents/{intent}"), None).await).unwrap();
    let charge = paid["latest_charge"].as_str().expect("a charge").to_owned();
    let form = [
        ("amount", "4000"),
        ("currency", "usd"),
        ("destination", id.as_str()),
        ("transfer_group", "order-1"),
        ("source_transaction", charge.as_str()),
    ];
    let transfer: Transfer = typed("a transfer", &shim("/v1/transfers", Some(&form)).await);
    assert_eq!((transfer.amount, transfer.transfer_group.as_deref()), (4000, Some("order-1")));
    let transfers: List<Transfer> =
        typed("a list of transfers", &shim("/v1/transfers?transfer_group=order-1", None).await);
    assert_eq!(transfers.data.len(), 1);
    let path = format!("/v1/transfers/{}/reversals", transfer.id.as_str());
    let reversal: TransferReversal = typed("a reversal", &shim(&path, Some(&[("amount", "1000")])).await);
    assert_eq!(reversal.amount, 1000);
    let reversals: List<TransferReversal> = typed("a list of reversals", &shim(&path, None).await);
    assert_eq!(reversals.data.len(), 1);
}

/// An endpoint of this test that keeps what is posted to it: body and `Stripe-Signature`.
async fn listening() -> (String, tokio::sync::mpsc::UnboundedReceiver<(String, String)>) {
    let (sent, received) = tokio::sync::mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let sent = sent.clone();
            async move {
                let signature = headers["stripe-signature"].to_str().unwrap().to_owned();
                sent.send((body, signature)).unwrap();
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

#[tokio::test]
async fn the_shims_connect_events_are_signed_as_stripe_signs_and_decode_into_stripes_event() {
    use stripe_adapter::webhook::verify_account_event;
    use stripe_shared::Event;

    let (url, mut received) = listening().await;
    let secret = format!("whsec_{}", ulid::Ulid::new());
    let id = ulid::Ulid::new().to_string();
    shim(&format!("/_config/connect_webhooks/{id}"), Some(&[("url", &url), ("secret", &secret)])).await;
    let account: stripe_shared::Account =
        typed("an account", &shim("/v1/accounts", Some(&[("type", "express")])).await);
    let account = account.id.as_str().to_owned();

    let secret = domain::config::Secret::new(secret);
    // A Connect endpoint hears of every connected account, and tests running beside this
    // one onboard theirs on the same server: this account's events are the ones read.
    let mut next = async || loop {
        let (body, signature) = received.recv().await.expect("an event");
        let event: Event = typed("an event", &body);
        let read = verify_account_event(body.as_bytes(), Some(&signature), &secret, chrono::Utc::now().timestamp());
        let kind = read.expect("signed with the endpoint's secret").kind;
        if event.account.as_deref() == Some(account.as_str()) {
            return (event, kind);
        }
    };
    shim(&format!("/_config/accounts/{account}/onboard"), Some(&[])).await;
    let (event, kind) = next().await;
    assert_eq!(event.account.as_deref(), Some(account.as_str()));
    assert_eq!(kind, AccountEventKind::Updated { account: account.clone(), payouts_enabled: true });
    let own = shim_as(Some(&account), &format!("/v1/accounts/{account}"), None).await;
    assert!(own.0.is_success(), "on behalf of a connected account: {own:?}");
    let (status, _) = shim_as(Some("acct_nobody"), "/v1/accounts/acct_nobody", None).await;
    assert_eq!(status, 403, "on behalf of an account that is not the platform's");
    shim(&format!("/_config/accounts/{account}/deauthorize"), Some(&[])).await;
    let (_, kind) = next().await;
    assert_eq!(kind, AccountEventKind::Deauthorized { account: account.clone() });
    let (status, text) = shim_as(Some(&account), &format!("/v1/accounts/{account}"), None).await;
    assert_eq!(status, 403, "access revoked: {text}");
}
