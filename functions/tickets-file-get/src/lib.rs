//! `GET /api/tickets/{id}/file` (seller): 303 to a download URL of the ticket's file, valid
//! a few minutes; 404 while it has none, 403 for anyone else's ticket.

use aws_adapters::{FilesBucket, TicketsTable};
use domain::files;
use domain::ports::{FileStore, TicketStore};
use edge::auth::SessionVerifier;
use edge::{Request, Response, Result, http};

pub type Config = (SessionVerifier, TicketsTable, FilesBucket);

pub async fn handle(
    store: &impl TicketStore,
    files: &impl FileStore,
    sessions: &SessionVerifier,
    req: Request,
) -> Result<Response> {
    let user = sessions.require_user(&req)?;
    let url = files::seller_download(store, files, &user, &http::path_param(&req, "id")?).await?;
    http::see_other(&url)
}
