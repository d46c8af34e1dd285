//! `/api/admin/stats`: job analytics for admins.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::IntoResponse;

use super::{ApiResult, exec};
use crate::control::Request;
use crate::http::input::query;
use crate::http::{ApiError, AppState, Caller};

/// `from`/`to`: RFC 3339 or a duration back from now ("7d"); `company`: a
/// name or an id. Defaults: the last 24 hours, all companies.
pub async fn stats(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    if !caller.is_admin() {
        return Err(ApiError::new(
            "forbidden",
            "job analytics cover every company; only an admin may read them",
        ));
    }
    let mut q = query(raw.as_deref(), &["from", "to", "company"])?;
    let req = Request::Stats {
        from: q.remove("from"),
        to: q.remove("to"),
        company: q.remove("company"),
    };
    Ok(Json(exec(&state, req).await?).into_response())
}
