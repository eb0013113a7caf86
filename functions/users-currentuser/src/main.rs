use shared::auth::Sessions;
use shared::config::AuthConfig;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::http::init_tracing();
    let sessions = Sessions::new(&AuthConfig::from_env()?);
    shared::http::serve(|req| users_currentuser::handle(&sessions, req)).await
}
