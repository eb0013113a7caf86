//! `cargo run -p local`: the whole API on http://127.0.0.1:3000, no AWS needed.

use anyhow::Context;
use local::{Functions, LocalConfig, Retry, Storage};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    let config = LocalConfig::from_env()?;
    let store = config.open_store()?;
    let listener = tokio::net::TcpListener::bind((config.host.as_str(), config.port))
        .await
        .with_context(|| format!("binding {}:{}", config.host, config.port))?;
    match &config.storage {
        Storage::Dir(dir) => tracing::info!(data = %dir.display(), "embedded store on disk"),
        Storage::Memory => tracing::info!("embedded store in memory"),
    }
    match &config.stripe {
        Some(_) => tracing::info!("payments through Stripe (STRIPE_SECRET_KEY)"),
        None => tracing::info!("payments through the built-in test gateway (pm_card_visa succeeds)"),
    }
    tracing::info!("API listening on http://{}", listener.local_addr()?);
    let functions = Functions::new(store.clone(), &config)?;
    local::start_event_flow(&functions, local::subscriptions(&functions), Retry::default());
    local::serve(listener, functions).await?;
    Ok(())
}
