//! `/api/*`: the front end's JSON API. Every route needs a bearer token; a
//! user sees only jobs and postings of companies they track (another user's
//! job answers 404), an admin sees all.

mod catalog;
mod events;
mod postings;
mod scraping;
mod stats;

pub use catalog::*;
pub use events::events;
pub use postings::*;
pub use scraping::*;
pub use stats::stats;

use serde_json::Value;

use super::input::id;
use super::{ApiError, AppState, Caller};
use crate::control::Request;
use crate::model::{Id, Job};
use crate::queue;
use crate::store::{self, Store};

pub(super) type ApiResult = Result<axum::response::Response, ApiError>;

/// Run a control request off the async workers.
pub(super) async fn exec(state: &AppState, req: Request) -> Result<Value, ApiError> {
    let c = state.control.clone();
    tokio::task::spawn_blocking(move || c.execute(req))
        .await
        .map_err(|e| ApiError::new("internal", format!("request failed: {e}")))?
        .map_err(ApiError::from)
}

/// Companies whose jobs and postings the caller may see (`None` = all).
pub(super) fn visible(s: &Store, caller: &Caller) -> store::Result<Option<Vec<Id>>> {
    if caller.is_admin() {
        Ok(None)
    } else {
        s.read(|rx| store::tracked_companies(rx, caller.id()))
            .map(Some)
    }
}

pub(super) fn can_see(visible: &Option<Vec<Id>>, company: Id) -> bool {
    visible.as_ref().is_none_or(|v| v.contains(&company))
}

pub(super) async fn visible_job(
    state: &AppState,
    caller: &Caller,
    raw: &str,
) -> Result<Job, ApiError> {
    let job_id = id(raw, "job")?;
    let caller = caller.clone();
    state
        .control
        .store
        .run(move |s| {
            let vis = visible(s, &caller)?;
            let job = s.read(|rx| queue::get_job(rx, job_id))?;
            if can_see(&vis, job.company_id) || job.requested_by == Some(caller.id()) {
                Ok(job)
            } else {
                Err(store::StoreError::not_found("job", job_id))
            }
        })
        .await
        .map_err(ApiError::from)
}
