//! `/api/scraping/*`: start, status, active, history, retry, cancel.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

use super::{ApiResult, can_see, exec, visible, visible_job};
use crate::control::Request;
use crate::http::input::{JsonBody, PathParam, number, query};
use crate::http::{ApiError, AppState, Caller};
use crate::model::{Job, JobSource, JobStatus, Timestamp};
use crate::queue::{self, EnqueueRequest, JobFilter};
use crate::store;
use crate::views::JobView;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartBody {
    #[serde(deserialize_with = "crate::http::input::whole")]
    company_id: u64,
    context: Option<String>,
}

pub async fn start(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<StartBody>,
) -> ApiResult {
    if body.context.as_ref().is_some_and(|c| c.len() > 1000) {
        return Err(ApiError::invalid("context is longer than 1000 characters"));
    }
    let max = state.control.config.queue.max_attempts;
    let cap = state.control.config.queue.max_manual_per_user;
    let c = caller.clone();
    let now = state.control.clock.now();
    let out = state
        .control
        .store
        .run(move |s| {
            let vis = visible(s, &c)?;
            if !can_see(&vis, body.company_id) {
                return Err(store::StoreError::not_found(
                    "company (among those you track)",
                    body.company_id,
                ));
            }
            s.write(|tx| {
                let mut req = EnqueueRequest::new(body.company_id, JobSource::Manual);
                req.requested_by = Some(c.id());
                req.context = body.context;
                req.max_attempts = max;
                req.manual_cap = Some(cap);
                queue::enqueue(tx, &req, now)
            })
        })
        .await?;
    if let Some(n) = &state.control.work_available {
        n.notify_waiters();
    }
    let message = if out.created() {
        "scrape queued"
    } else {
        "a scrape of this company is already pending or running; returning it"
    };
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"success": true, "jobId": out.job().id, "created": out.created(), "message": message})),
    )
        .into_response())
}

pub async fn job_status(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(raw): PathParam,
) -> ApiResult {
    let job = visible_job(&state, &caller, &raw).await?;
    Ok(Json(JobView::from(&job)).into_response())
}

pub async fn active(State(state): State<AppState>, caller: Caller) -> ApiResult {
    let jobs = state
        .control
        .store
        .run(move |s| {
            let companies = visible(s, &caller)?;
            s.read(|rx| {
                let mut jobs = queue::active_jobs(rx)?;
                jobs.retain(|j| can_see(&companies, j.company_id));
                Ok(jobs)
            })
        })
        .await?;
    let views: Vec<JobView> = jobs.iter().map(JobView::from).collect();
    Ok(Json(json!({"activeJobs": views, "count": views.len()})).into_response())
}

pub async fn history(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let q = query(
        raw.as_deref(),
        &["page", "limit", "status", "from", "to", "company"],
    )?;
    let page = number(&q, "page", 1, 1, 1_000_000)?;
    let limit = number(&q, "limit", 20, 1, 100)?;
    let time = |key: &str| -> Result<Option<Timestamp>, ApiError> {
        q.get(key)
            .map(|s| {
                Timestamp::parse_rfc3339(s).ok_or_else(|| {
                    ApiError::invalid(format!(
                        "{key}={s:?} is not an RFC 3339 time such as 2026-01-31T09:00:00Z"
                    ))
                })
            })
            .transpose()
    };
    let (from, to) = (time("from")?, time("to")?);
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(ApiError::invalid(
            "from must not be after to (jobs created from `from` up to, not including, `to`)",
        ));
    }
    let search = match q.get("company").map(|s| s.trim().to_lowercase()) {
        Some(s) if s.is_empty() || s.chars().count() > 100 => {
            return Err(ApiError::invalid(
                "company must be 1 to 100 characters of a company's name",
            ));
        }
        other => other,
    };
    let status = match q.get("status") {
        None => None,
        Some(s) => Some(JobStatus::parse(s).ok_or_else(|| {
            ApiError::invalid(format!(
                "status {s:?} is not allowed; use one of {}",
                JobStatus::ALLOWED
            ))
        })?),
    };
    let (found, total) = state
        .control
        .store
        .run(move |s| {
            let companies = visible(s, &caller)?;
            let filter = JobFilter {
                status,
                companies,
                created_from: from,
                created_to: to,
                offset: (page - 1) * limit,
                limit,
                ..Default::default()
            };
            s.read(|rx| find_jobs(rx, filter, search.as_deref()))
        })
        .await?;
    let jobs: Vec<JobView> = found.iter().map(JobView::from).collect();
    Ok(Json(json!({
        "jobs": jobs,
        "total": total,
        "page": page,
        "totalPages": total.div_ceil(limit as u64),
    }))
    .into_response())
}

/// A page of jobs (newest first) and how many match, `search` narrowing
/// `filter` to companies whose name holds it (lowercase).
pub(in crate::http) fn find_jobs(
    rx: &store::Rx,
    mut filter: JobFilter,
    search: Option<&str>,
) -> store::Result<(Vec<Job>, u64)> {
    if let Some(text) = search {
        let named: Vec<_> = store::list_companies(rx)?
            .into_iter()
            .filter(|c| c.name.to_lowercase().contains(text))
            .map(|c| c.id)
            .filter(|id| can_see(&filter.companies, *id))
            .collect();
        filter.companies = Some(named);
    }
    queue::page_jobs(rx, &filter)
}

pub async fn retry(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(raw): PathParam,
) -> ApiResult {
    let job = visible_job(&state, &caller, &raw).await?;
    own_job(&caller, &job, "retry")?;
    let v = exec(&state, Request::JobsRetry { job: job.id }).await?;
    Ok(Json(json!({"success": true, "jobId": v["job"]["id"], "job": v["job"]})).into_response())
}

pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(raw): PathParam,
) -> ApiResult {
    let job = visible_job(&state, &caller, &raw).await?;
    own_job(&caller, &job, "cancel")?;
    let v = exec(&state, Request::JobsCancel { job: job.id }).await?;
    Ok(Json(json!({"success": true, "job": v})).into_response())
}

/// Only the user who started a job, or an admin, may change it; other users
/// tracking the company may see it.
fn own_job(caller: &Caller, job: &Job, action: &str) -> Result<(), ApiError> {
    if caller.is_admin() || job.requested_by == Some(caller.id()) {
        Ok(())
    } else {
        Err(ApiError::new(
            "forbidden",
            format!(
                "only the user who started job {} or an admin may {action} it; start a new scrape instead",
                job.id
            ),
        ))
    }
}
