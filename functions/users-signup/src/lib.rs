//! `POST /api/users/signup` `{email, password}`: 201 `{id, email}` and a session cookie.

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
    let (email, password) = body::credentials(&req, Password::parse)?;
    let now = Utc::now();
    let user = users::sign_up(store, hasher, email, password, now).await?;
    sessions.start(201, &user, now)
}
