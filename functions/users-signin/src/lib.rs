//! `POST /api/users/signin` `{email, password}`: 200 `{id, email}` and a session cookie.

use aws_adapters::UsersTable;
use chrono::Utc;
use domain::entities::Password;
use domain::ports::{PasswordHasher, UserStore};
use domain::users;
use edge::auth::SessionIssuer;
use edge::{Request, Response, Result, body};

pub type Config = (SessionIssuer, UsersTable);

pub async fn handle(
    store: &impl UserStore,
    hasher: &impl PasswordHasher,
    sessions: &SessionIssuer,
    req: Request,
) -> Result<Response> {
    let (email, password) = body::credentials(req.body(), Password::candidate)?;
    let user = users::sign_in(store, hasher, &email, password).await?;
    sessions.start(200, &user, Utc::now())
}
