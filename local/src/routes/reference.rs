//! The API's reference: its contract and a Swagger UI that works offline.

/// The API's contract (`contract::json`, the committed `openapi.json`), and an interactive
/// reference of it that works offline (Swagger UI, vendored in `local/assets/docs/`).
pub const OPENAPI: &str = "/api/openapi.json";
pub const DOCS: &str = "/api/docs";

pub(super) async fn openapi() -> axum::response::Response {
    static DOCUMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let document = DOCUMENT.get_or_init(contract::json);
    super::static_response("application/json", document.as_bytes())
}

pub(super) fn asset(name: &str) -> axum::response::Response {
    let (content_type, bytes): (&str, &'static [u8]) = match name {
        "index.html" => ("text/html; charset=utf-8", include_bytes!("../../assets/docs/index.html")),
        "reference.js" => ("text/javascript; charset=utf-8", include_bytes!("../../assets/docs/reference.js")),
        "swagger-ui-bundle.js" => {
            ("text/javascript; charset=utf-8", include_bytes!("../../assets/docs/swagger-ui-bundle.js"))
        }
        "swagger-ui.css" => ("text/css; charset=utf-8", include_bytes!("../../assets/docs/swagger-ui.css")),
        _ => return super::error(domain::Error::NotFound("Not found")),
    };
    super::static_response(content_type, bytes)
}
