//! The one table from error codes to HTTP status codes. Handlers return
//! [`ApiError`]; they never pick a status themselves.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::control::ControlError;

#[derive(Debug)]
pub struct ApiError {
    pub code: String,
    pub message: String,
    /// Sent as `Retry-After` (whole seconds, rounded up).
    pub retry_after: Option<std::time::Duration>,
}

impl ApiError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            retry_after: None,
        }
    }

    /// Too many requests from one token.
    pub fn rate_limited(wait: std::time::Duration) -> Self {
        let mut e = Self::new(
            "rate_limited",
            format!(
                "too many requests for this token (http.rate_limit); try again in {} s",
                wait.as_secs_f64().ceil()
            ),
        );
        e.retry_after = Some(wait);
        e
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new("invalid_argument", message)
    }

    pub fn unauthorized() -> Self {
        Self::new(
            "unauthorized",
            "missing or unknown API token: send `Authorization: Bearer <token>` (create one with `scoutly user add`)",
        )
    }

    pub fn not_found(what: &str) -> Self {
        Self::new("not_found", format!("{what} not found"))
    }

    fn status(&self) -> StatusCode {
        match self.code.as_str() {
            "invalid_argument" => StatusCode::BAD_REQUEST,
            "unauthorized" => StatusCode::UNAUTHORIZED,
            "forbidden" => StatusCode::FORBIDDEN,
            "not_found" => StatusCode::NOT_FOUND,
            "method_not_allowed" => StatusCode::METHOD_NOT_ALLOWED,
            "conflict" => StatusCode::CONFLICT,
            "payload_too_large" => StatusCode::PAYLOAD_TOO_LARGE,
            "limit_exceeded" | "rate_limited" => StatusCode::TOO_MANY_REQUESTS,
            "unavailable" => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<ControlError> for ApiError {
    fn from(e: ControlError) -> Self {
        Self {
            code: e.code,
            message: e.message,
            retry_after: None,
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ControlError::from(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(code = %self.code, message = %self.message, "internal error answering a request");
        }
        let mut resp = (
            status,
            axum::Json(json!({"error": {"code": self.code, "message": self.message}})),
        )
            .into_response();
        if let Some(wait) = self.retry_after {
            let secs = (wait.as_secs_f64().ceil() as u64).max(1);
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        resp
    }
}
