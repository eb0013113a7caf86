#[tokio::main]
async fn main() -> Result<(), edge::StartError> {
    let (): users_signout::Config = edge::start()?;
    edge::serve_http(users_signout::handle).await
}
