#[tokio::main]
async fn main() -> Result<(), edge::StartError> {
    let config: client_config::Config = edge::start()?;
    edge::serve_http(|req| client_config::handle(&config, req)).await
}
