//! `/healthz`, `/readyz`, `/status`: no token, for the tunnel and operators.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;

use super::{ApiError, AppState};
use crate::status;

/// Alive: answers from memory, touches nothing.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready to do work: store writable, not overheated, scheduler ticking,
/// disk space left.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let mut reasons = Vec::new();
    let probe = state.control.store.run(|s| s.probe_writable()).await;
    if let Err(e) = probe {
        reasons.push(format!("store not writable: {e}"));
    }
    if let Some(hot) = (state.control.live.as_ref())
        .and_then(|l| l.resources.as_ref())
        .and_then(|r| r.overheated())
    {
        reasons.push(format!("overheated: {hot}"));
    }
    if let Some(live) = &state.control.live {
        let stale_after = live.pass_interval * 3 + Duration::from_secs(60);
        let now = state.control.clock.now();
        match live.scheduler.last_tick() {
            Some(t) if now.since(t) > stale_after => reasons.push(format!(
                "scheduler has not ticked since {t} (expected every {})",
                humantime::format_duration(live.pass_interval)
            )),
            None => reasons.push("scheduler has not run its first pass yet".into()),
            _ => {}
        }
    }
    let disk = crate::resources::disk::free_space(&state.data_dir);
    reasons.extend(crate::resources::disk::shortage(disk, state.min_free_disk));
    if reasons.is_empty() {
        (StatusCode::OK, Json(json!({"ready": true, "reasons": []})))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"ready": false, "reasons": reasons})),
        )
    }
}

pub async fn status(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let c = state.control.clone();
    let now = c.clock.now();
    let report = c
        .store
        .clone()
        .run(move |s| status::build(s, c.live.as_ref(), now))
        .await?;
    Ok(Json(report.public()))
}
