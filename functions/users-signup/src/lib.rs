//! `POST /api/users/signup` `{email, password}`: 201 `{id, email}` and a session cookie.

use lambda_http::Request;
use shared::auth::Sessions;
use shared::http::{self, HttpResponse, JsonFields};
use shared::ports::UserStore;
use shared::users::{self, Email, Password};

pub async fn handle(store: &impl UserStore, sessions: &Sessions, req: Request) -> HttpResponse {
    http::respond(sign_up(store, sessions, req).await)
}

async fn sign_up(store: &impl UserStore, sessions: &Sessions, req: Request) -> shared::Result<HttpResponse> {
    let mut body = JsonFields::from_body(req.body())?;
    let email = body.string("email", Email::parse);
    let password = body.string("password", Password::parse);
    let (email, password) = body.finish(email.zip(password))?;
    let user = users::sign_up(store, email, password).await?;
    sessions.start(201, &user)
}
