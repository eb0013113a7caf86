//! `GET /api/orders/{id}/file` (the order's buyer): 303 to a download URL of the ticket's
//! file, valid a few minutes, once the order is complete; 403 before (and after a refund),
//! 404 while the seller has not uploaded it.

use aws_adapters::{FilesBucket, SaleReads};
use domain::files;
use domain::ports::{FileStore, OrderStore, TicketStore};
use edge::auth::SessionVerifier;
use edge::{Request, Response, Result, http};

pub type Config = (SessionVerifier, SaleReads, FilesBucket);

pub async fn handle(
    store: &(impl TicketStore + OrderStore),
    files: &impl FileStore,
    sessions: &SessionVerifier,
    req: Request,
) -> Result<Response> {
    let user = sessions.require_user(&req)?;
    let url = files::buyer_download(store, files, &user, &http::path_param(&req, "id")?).await?;
    http::see_other(&url)
}
