//! `POST /api/users/verify-email/resend` (signed in) `{}`: 202 `{}`, another verification mail
//! asked for (one event through the outbox; the mail follows, and its link replaces the
//! earlier ones); 409 when the address is verified already; 429 with `Retry-After` after five
//! in an hour.

use aws_adapters::{OutboxTable, SignInAttemptsTable, UsersTable};
use chrono::Utc;
use domain::email_verification;
use domain::ports::{ChangeStore, SignInAttempts, UserStore};
use edge::auth::SessionVerifier;
use edge::body::JsonFields;
use edge::http::Empty;
use edge::{Request, Response, Result, http};

pub type Config = (SessionVerifier, UsersTable, SignInAttemptsTable, OutboxTable);

pub async fn handle(
    stores: (&impl UserStore, &impl SignInAttempts, &impl ChangeStore),
    sessions: &SessionVerifier,
    req: Request,
) -> Result<Response> {
    let session = sessions.require_session(&req)?;
    JsonFields::from_request(&req)?;
    email_verification::resend(stores, &session, Utc::now()).await?;
    http::json(202, &Empty {})
}
