//! The payment provider's pages, as the local test gateway plays them: the bank's 3-D
//! Secure check, and the hosted onboarding of a payout account.

use axum::extract::{Path, RawQuery, State};

use crate::functions::{Functions, Webhook};

/// The bank's 3-D Secure page, as the local test gateway plays it: `{clientSecret,
/// success}`. A success completes the intent and sends its `payment_intent.succeeded`
/// event, signed, to the webhook, as Stripe would; a failure leaves the payment to retry.
pub const AUTHENTICATE: &str = "/_local/test-gateway/authenticate";

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Authentication {
    client_secret: String,
    success: bool,
}

pub(super) async fn authenticate(
    State(functions): State<Functions>,
    body: axum::body::Bytes,
) -> axum::response::Response {
    let outcome = async {
        let answer: Authentication = serde_json::from_slice(&body)
            .map_err(|_| domain::Error::BadRequest("Expected {clientSecret, success}".to_owned()))?;
        let gateway = functions.test_gateway().ok_or(domain::Error::NotFound("Not found"))?;
        let intent_id = answer.client_secret.split("_secret_").next().unwrap_or_default().to_owned();
        let known = domain::ports::PaymentGateway::get_intent(gateway, &intent_id).await;
        if known.ok().and_then(|intent| intent.client_secret) != Some(answer.client_secret.clone()) {
            return Err(domain::Error::NotFound("No such payment"));
        }
        if !answer.success {
            return Ok(serde_json::json!({ "authenticated": false }));
        }
        let intent = gateway.complete_in_browser(&intent_id)?;
        let order = gateway.ledger().into_iter().find(|(_, known, _)| known.id == intent_id).map(|(order, ..)| order);
        let event = serde_json::json!({
            "id": format!("evt_local_{}", ulid::Ulid::new()),
            "object": "event",
            "type": "payment_intent.succeeded",
            "created": chrono::Utc::now().timestamp(),
            "livemode": false,
            "data": { "object": {
                "id": intent.id, "object": "payment_intent", "amount": intent.amount, "currency": "usd",
                "status": "succeeded", "metadata": { "order_id": order },
            } },
        })
        .to_string();
        let delivered = functions.deliver_stripe_event(Webhook::Payments, event).await?;
        tracing::info!(status = ?delivered.map(|response| response.status()), "3-D Secure passed; webhook delivered");
        Ok(serde_json::json!({ "authenticated": true }))
    };
    super::json_response(outcome.await)
}

/// The payment provider's hosted onboarding of a seller's payout account, as the local test
/// gateway plays it: a page whose button completes onboarding, then tells the API as
/// Stripe's `account.updated` would, and sends the seller back to where the link said (on
/// this runner's public origin only).
pub const ONBOARDING: &str = "/_local/test-gateway/onboarding";
/// A payout account as the provider's dashboard shows it.
pub const TEST_ACCOUNT: &str = "/_local/test-gateway/accounts/{id}";

#[derive(serde::Deserialize)]
struct Onboarding {
    account: String,
    #[serde(rename = "return")]
    return_url: String,
}

/// Text safe inside HTML, attribute values included.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn form<T: serde::de::DeserializeOwned>(query: &str) -> Option<T> {
    let uri = format!("/?{query}").parse().ok()?;
    axum::extract::Query::<T>::try_from_uri(&uri).ok().map(|axum::extract::Query(value)| value)
}

pub(super) async fn onboarding_page(
    State(functions): State<Functions>,
    RawQuery(query): RawQuery,
) -> axum::response::Response {
    let found = match (functions.test_gateway(), form::<Onboarding>(query.as_deref().unwrap_or(""))) {
        (Some(gateway), Some(onboarding)) => {
            gateway.test_account(&onboarding.account).ok().flatten().map(|account| (account, onboarding))
        }
        _ => None,
    };
    let Some((account, onboarding)) = found else {
        return super::error(domain::Error::NotFound("No such account"));
    };
    let page = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Payout account onboarding (test mode)</title><link rel="stylesheet" href="/style.css"></head>
<body><main>
<h1>Set up payouts</h1>
<p>Test mode: this page stands in for the payment provider's hosted onboarding, where a seller gives their identity and bank account. Nothing is asked here.</p>
<p>Account <code>{account}</code>: {state}.</p>
<form method="post" action="{action}">
<input type="hidden" name="account" value="{account}">
<input type="hidden" name="return" value="{back}">
<button type="submit">Complete onboarding</button>
</form>
<p><a href="{back}">Leave without finishing</a></p>
</main></body></html>"#,
        account = escape(&account.id),
        state = if account.onboarded { "onboarding is complete" } else { "onboarding is not finished" },
        action = ONBOARDING,
        back = escape(&same_origin(&functions, &onboarding.return_url)),
    );
    axum::response::Response::builder()
        .header("content-type", "text/html; charset=utf-8")
        .header("x-content-type-options", "nosniff")
        .header("cache-control", "no-store")
        .body(axum::body::Body::from(page))
        .expect("a page")
}

/// `url` if it is on this runner's public origin, else the web client's payouts page there.
fn same_origin(functions: &Functions, url: &str) -> String {
    let origin = functions.public_origin().0.trim_end_matches('/');
    match url.strip_prefix(origin) {
        Some(rest) if rest.starts_with('/') => url.to_owned(),
        _ => format!("{origin}/#/payouts"),
    }
}

pub(super) async fn complete_onboarding(
    State(functions): State<Functions>,
    body: axum::body::Bytes,
) -> axum::response::Response {
    let outcome = async {
        let onboarding: Onboarding = form(&String::from_utf8_lossy(&body))
            .ok_or_else(|| domain::Error::BadRequest("Expected account and return".to_owned()))?;
        let gateway = functions.test_gateway().ok_or(domain::Error::NotFound("Not found"))?;
        gateway.complete_onboarding(&onboarding.account)?;
        // Stripe's `account.updated`, signed, to the Connect webhook, as Stripe sends it.
        let event = serde_json::json!({
            "id": format!("evt_local_{}", ulid::Ulid::new()),
            "object": "event",
            "type": "account.updated",
            "account": onboarding.account,
            "created": chrono::Utc::now().timestamp(),
            "livemode": false,
            "data": { "object": { "id": onboarding.account, "object": "account", "payouts_enabled": true } },
        })
        .to_string();
        let delivered = functions.deliver_stripe_event(Webhook::Connect, event).await?;
        let status = delivered.map(|response| response.status());
        tracing::info!(account = %onboarding.account, ?status, "payout account onboarded; account.updated delivered");
        Ok(same_origin(&functions, &onboarding.return_url))
    };
    match outcome.await {
        Ok(back) => axum::response::Response::builder()
            .status(303)
            .header("location", back)
            .body(axum::body::Body::empty())
            .expect("a redirect"),
        Err(error) => super::error(error),
    }
}

pub(super) async fn test_account(
    State(functions): State<Functions>,
    Path(id): Path<String>,
) -> axum::response::Response {
    let outcome = async {
        let gateway = functions.test_gateway().ok_or(domain::Error::NotFound("Not found"))?;
        let account = gateway.test_account(&id)?.ok_or(domain::Error::NotFound("No such account"))?;
        Ok(serde_json::json!({
            "id": account.id, "payoutsEnabled": account.onboarded, "balance": account.balance.to_string(),
        }))
    };
    super::json_response(outcome.await)
}
