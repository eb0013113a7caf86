//! The browser client (`web/`), as the bucket behind CloudFront serves it on AWS.

/// The browser client (`web/`), served as the bucket behind CloudFront serves it on AWS.
pub(super) fn web(name: &str) -> axum::response::Response {
    match WEB_FILES.iter().find(|(file, ..)| *file == name) {
        Some((_, content_type, bytes)) => super::static_response(content_type, bytes),
        None => super::error(domain::Error::NotFound("Not found")),
    }
}

/// The files of `web/` the runner serves, with their content types: every one of them (a
/// test checks).
pub const WEB_FILES: [(&str, &str, &[u8]); 3] = [
    ("index.html", "text/html; charset=utf-8", include_bytes!("../../../web/index.html")),
    ("app.js", "text/javascript; charset=utf-8", include_bytes!("../../../web/app.js")),
    ("style.css", "text/css; charset=utf-8", include_bytes!("../../../web/style.css")),
];
