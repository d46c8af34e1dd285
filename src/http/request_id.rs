//! A request id on every answer (`X-Request-Id`), and on the log line of
//! every 5xx, so an operator can find the one request a user reports.
//!
//! Ids are a per-process counter in hex: unique while the process runs,
//! short enough to read out, and free of any data about the request.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

static NEXT: AtomicU64 = AtomicU64::new(1);

pub async fn tag(req: Request, next: Next) -> Response {
    let id = format!("{:x}", NEXT.fetch_add(1, Ordering::Relaxed));
    let (method, path) = (req.method().clone(), req.uri().path().to_string());
    let mut resp = next.run(req).await;
    if resp.status().is_server_error() {
        tracing::error!(request_id = %id, %method, %path, status = resp.status().as_u16(), "request failed inside the appliance");
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}
