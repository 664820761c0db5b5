//! The page: hand-written HTML, CSS and JavaScript modules, embedded in the
//! binary so that building needs no Node.js and the page needs no network.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

/// Each asset's name, content type and bytes.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("assets/style.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/app.js"),
    ),
    (
        "api.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/api.js"),
    ),
    (
        "editor.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/editor.js"),
    ),
    (
        "facts.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/facts.js"),
    ),
    (
        "panels.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/panels.js"),
    ),
];

const INDEX: &str = include_str!("assets/index.html");

/// The page's own files only; nothing from elsewhere, no inline script.
const POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'";

pub async fn redirect() -> Redirect {
    Redirect::permanent("/studio/")
}

pub async fn index() -> Response {
    page("text/html; charset=utf-8", INDEX)
}

pub async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, kind, body)) => page(kind, body),
        None => (StatusCode::NOT_FOUND, "no such asset\n").into_response(),
    }
}

fn page(kind: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CONTENT_SECURITY_POLICY, POLICY),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}
