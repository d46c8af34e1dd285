//! The HTTP server: health, readiness, status, the JSON API and the
//! dashboard.
//!
//! Reads the store and asks the queue to enqueue or cancel; never reaches
//! into workers (DESIGN.md data flow). The server takes an already-bound
//! listener and a shutdown future, so tests bind `127.0.0.1:0`.

mod api;
mod auth;
mod dashboard;
mod error;
mod health;
pub(crate) mod input;
mod limit;
mod metrics;
mod request_id;

use std::path::PathBuf;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

pub use auth::Caller;
pub use error::ApiError;
pub use limit::RateLimiter;

use crate::control::Control;

/// Shared state of all handlers.
#[derive(Clone)]
pub struct AppState {
    pub control: Control,
    pub data_dir: PathBuf,
    pub min_free_disk: u64,
    /// Per-token request limits of the API.
    pub limiter: std::sync::Arc<RateLimiter>,
    /// `/metrics` needs a token (`http.metrics_token`).
    pub metrics_token: bool,
    /// Live events the workers publish, for `/api/events`.
    pub events: crate::events::Bus,
    /// Cancelled at shutdown: long-lived streams end with it.
    pub shutdown: tokio_util::sync::CancellationToken,
}

pub fn router(state: AppState) -> Router {
    let limit = state.control.config.http.max_request_body;
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/status", get(health::status))
        .route("/metrics", get(metrics::metrics))
        .route("/api/openapi.json", get(openapi))
        .route("/api/scraping/start", post(api::start))
        .route("/api/scraping/status/{job_id}", get(api::job_status))
        .route("/api/scraping/active", get(api::active))
        .route("/api/scraping/history", get(api::history))
        .route("/api/scraping/retry/{job_id}", post(api::retry))
        .route("/api/scraping/cancel/{job_id}", post(api::cancel))
        .route(
            "/api/companies",
            get(api::companies).post(api::create_company),
        )
        .route(
            "/api/companies/{id}",
            get(api::company)
                .patch(api::patch_company)
                .delete(api::delete_company),
        )
        .route("/api/preferences", get(api::preferences))
        .route(
            "/api/preferences/{company_id}",
            axum::routing::put(api::put_preference).delete(api::delete_preference),
        )
        .route("/api/postings", get(api::postings))
        .route("/api/events", get(api::events))
        .route("/api/criteria", get(api::criteria).put(api::put_criteria))
        .route("/api/attention", get(api::attention))
        .route("/api/admin/stats", get(api::stats))
        .merge(dashboard::router())
        .fallback(|| async { ApiError::not_found("route") })
        // A known path asked with the wrong method answers in the same
        // error shape as every other mistake (axum's own 405 has no body).
        .method_not_allowed_fallback(|method: axum::http::Method, uri: axum::http::Uri| async move {
            ApiError::new(
                "method_not_allowed",
                format!(
                    "{method} is not allowed on {}; /api/openapi.json lists the methods each route takes",
                    uri.path()
                ),
            )
        })
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn(request_id::tag))
        .with_state(state)
}

/// The API's OpenAPI 3 document. `tests/api.rs` keeps it and the routes
/// above in step.
pub const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI,
    )
}

/// Serve on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
