#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), edge::StartError> {
    let (): not_found::Config = edge::start()?;
    edge::serve_http(not_found::handle).await
}
