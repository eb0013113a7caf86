//! The local runner's own administration: the events consumers failed on for good, and the
//! mail the API sent.

use axum::extract::State;

use crate::functions::Functions;

/// The local runner's own routes (not the API's): the events consumers failed on for good.
pub const DEAD_LETTERS: &str = "/_local/dead-letters";
/// Queues every dead letter again for its consumer.
pub const REDRIVE: &str = "/_local/dead-letters/redrive";

pub(super) async fn dead_letters(State(functions): State<Functions>) -> axum::response::Response {
    super::json_response(functions.store().dead_letters().await.map(|letters| serde_json::json!(letters)))
}

pub(super) async fn redrive(State(functions): State<Functions>) -> axum::response::Response {
    let redriven = functions.store().redrive(chrono::Utc::now()).await;
    super::json_response(redriven.map(|count| serde_json::json!({ "redriven": count })))
}

/// The mail sent, newest first, as JSON (`to`, `subject`, `text`, `html`, `sentAt`).
pub const MAIL: &str = "/_local/mail";
/// A page that lists the mail sent and opens each.
pub const MAILBOX: &str = "/_local/mailbox";

pub(super) async fn mail(State(functions): State<Functions>) -> axum::response::Response {
    super::json_response(functions.store().sent_mail().await.map(|sent| serde_json::json!(sent)))
}

pub(super) async fn mailbox() -> axum::response::Response {
    super::static_response("text/html; charset=utf-8", include_bytes!("mailbox.html"))
}
