//! S3 as the local runner plays it: presigned PUTs and GETs of ticket files.

use axum::extract::{Path, State};
use axum::response::IntoResponse;

use crate::functions::Functions;

/// What the file routes read of a body: more than any ticket file, so that the signature
/// (which covers the exact size) is what refuses a larger one.
pub(super) const FILE_BODY_LIMIT: usize = domain::entities::FileDraft::MAX_SIZE as usize + 1024 * 1024;

#[derive(serde::Deserialize)]
pub(super) struct Signed {
    expires: i64,
    signature: String,
    name: Option<String>,
}

/// S3's answer to a request its signature refuses: 403 (404 for a missing file), as text.
fn refused(refused: &embedded::Refused) -> axum::response::Response {
    let status = match refused {
        embedded::Refused::NotFound => axum::http::StatusCode::NOT_FOUND,
        _ => axum::http::StatusCode::FORBIDDEN,
    };
    (status, refused.to_string()).into_response()
}

/// A presigned PUT, as S3 takes it: stored only with the signed key, type and size, before
/// the expiry; then checked, as S3's `ObjectCreated` notification has the check function do.
pub(super) async fn upload_file(
    State(functions): State<Functions>,
    Path(key): Path<String>,
    axum::extract::Query(signed): axum::extract::Query<Signed>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or_default();
    let upload = embedded::SignedUpload {
        expires: signed.expires,
        signature: &signed.signature,
        content_type: header("content-type"),
        tagging: header(domain::files::RETENTION_TAG_HEADER),
    };
    let now = chrono::Utc::now().timestamp();
    let stored = functions.files().accept_upload(&key, &upload, body.to_vec(), now).await;
    match stored {
        Ok(Ok(())) => {}
        Ok(Err(refusal)) => return refused(&refusal),
        Err(error) => return super::error(error),
    }
    if let Err(error) = functions.check_file(&key).await {
        // S3 stored the file; its check is retried there, and fails here for good.
        tracing::error!(error = format!("{error:#}"), key, "checking an uploaded file failed");
    }
    axum::http::StatusCode::OK.into_response()
}

/// A presigned GET: the file, saved under its name.
pub(super) async fn download_file(
    State(functions): State<Functions>,
    Path(key): Path<String>,
    axum::extract::Query(signed): axum::extract::Query<Signed>,
) -> axum::response::Response {
    let now = chrono::Utc::now().timestamp();
    let name = signed.name.unwrap_or_default();
    match functions.files().download(&key, &name, signed.expires, &signed.signature, now).await {
        Ok(Ok(file)) => {
            let disposition = domain::files::disposition(&file.name);
            let headers = [
                (axum::http::header::CONTENT_TYPE, file.content_type),
                (axum::http::header::CONTENT_DISPOSITION, disposition),
            ];
            (headers, file.bytes).into_response()
        }
        Ok(Err(refusal)) => refused(&refusal),
        Err(error) => super::error(error),
    }
}
