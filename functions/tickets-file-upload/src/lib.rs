//! `POST /api/tickets/{id}/file` (seller) `{fileName, contentType, size}`: 201 `{url,
//! headers}`; the browser PUTs the file's bytes to `url` with exactly `headers`. The ticket
//! shows the file once the stored bytes pass the check (`files-check`).

use aws_adapters::{FilesBucket, TicketsTable};
use chrono::Utc;
use domain::files;
use domain::ports::{ChangeStore, FileStore, TicketStore};
use edge::auth::SessionVerifier;
use edge::{Request, Response, Result, http, requests};

/// An upload's request changes the ticket alone, and announces nothing.
pub type Config = (SessionVerifier, TicketsTable, FilesBucket);

pub async fn handle(
    store: &(impl TicketStore + ChangeStore),
    files: &impl FileStore,
    sessions: &SessionVerifier,
    req: Request,
) -> Result<Response> {
    let user = sessions.require_user(&req)?;
    let draft = requests::file_draft(&req)?;
    let id = http::path_param(&req, "id")?;
    let upload = files::request_upload(store, files, &user, &id, draft, Utc::now()).await?;
    http::json(201, &upload)
}
