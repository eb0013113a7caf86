//! `POST /api/users/signin` `{email, password}`: 200 `{id, email}` and a session cookie.

use aws_adapters::UsersTable;
use chrono::Utc;
use domain::entities::Password;
use domain::ports::{PasswordHasher, UserStore};
use domain::users;
use edge::auth::Sessions;
use edge::{Request, Response, Result, body};

pub type Config = (Sessions, UsersTable);

pub async fn handle(
    store: &impl UserStore,
    hasher: &impl PasswordHasher,
    sessions: &Sessions,
    req: Request,
) -> Result<Response> {
    let (email, password) = body::credentials(req.body(), Password::candidate)?;
    let user = users::sign_in(store, hasher, &email, password).await?;
    sessions.start(200, &user, Utc::now())
}
