#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (client, terms): client_config::Config = edge::start()?;
    let config = client.with_payouts(terms);
    edge::serve_http(|req| client_config::handle(&config, req)).await
}
