#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::http::init_tracing();
    shared::http::serve(not_found::handle).await
}
