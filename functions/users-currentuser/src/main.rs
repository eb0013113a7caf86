#[tokio::main]
async fn main() -> Result<(), edge::StartError> {
    let sessions: users_currentuser::Config = edge::start()?;
    edge::serve_http(|req| users_currentuser::handle(&sessions, req)).await
}
