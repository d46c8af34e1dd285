//! `/api/*`: the front end's JSON API. Every route needs a bearer token; a
//! user sees only jobs and postings of companies they track (another user's
//! job answers 404), an admin sees all.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};

use super::input::{JsonBody, id, number, query};
use super::{ApiError, AppState, Caller};
use crate::control::Request;
use crate::model::{Id, Job, JobSource, JobStatus};
use crate::queue::{self, EnqueueRequest, JobFilter};
use crate::store::{self, PostingFilter, Store};
use crate::views::{CompanyView, JobView, PostingView, PreferenceView};

type ApiResult = Result<axum::response::Response, ApiError>;

/// Run a control request off the async workers.
async fn exec(state: &AppState, req: Request) -> Result<Value, ApiError> {
    let c = state.control.clone();
    tokio::task::spawn_blocking(move || c.execute(req))
        .await
        .map_err(|e| ApiError::new("internal", format!("request failed: {e}")))?
        .map_err(ApiError::from)
}

/// Companies whose jobs and postings the caller may see (`None` = all).
fn visible(s: &Store, caller: &Caller) -> store::Result<Option<Vec<Id>>> {
    if caller.is_admin() {
        Ok(None)
    } else {
        s.read(|rx| store::tracked_companies(rx, caller.id()))
            .map(Some)
    }
}

fn can_see(visible: &Option<Vec<Id>>, company: Id) -> bool {
    visible.as_ref().is_none_or(|v| v.contains(&company))
}

async fn visible_job(state: &AppState, caller: &Caller, raw: &str) -> Result<Job, ApiError> {
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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartBody {
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
    Path(raw): Path<String>,
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
                let mut out = Vec::new();
                for status in [JobStatus::InProgress, JobStatus::Pending] {
                    let f = JobFilter {
                        status: Some(status),
                        companies: companies.clone(),
                        ..Default::default()
                    };
                    out.extend(queue::list_jobs(rx, &f)?);
                }
                Ok(out)
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
    let q = query(raw.as_deref(), &["page", "limit", "status"])?;
    let page = number(&q, "page", 1, 1, 1_000_000)?;
    let limit = number(&q, "limit", 20, 1, 100)?;
    let status = match q.get("status") {
        None => None,
        Some(s) => Some(JobStatus::parse(s).ok_or_else(|| {
            ApiError::invalid(format!(
                "status {s:?} is not allowed; use one of {}",
                JobStatus::ALLOWED
            ))
        })?),
    };
    let all = state
        .control
        .store
        .run(move |s| {
            let companies = visible(s, &caller)?;
            s.read(|rx| {
                queue::list_jobs(
                    rx,
                    &JobFilter {
                        status,
                        companies,
                        ..Default::default()
                    },
                )
            })
        })
        .await?;
    let total = all.len();
    let jobs: Vec<JobView> = all
        .iter()
        .skip((page - 1) * limit)
        .take(limit)
        .map(JobView::from)
        .collect();
    Ok(Json(json!({
        "jobs": jobs,
        "total": total,
        "page": page,
        "totalPages": total.div_ceil(limit),
    }))
    .into_response())
}

pub async fn retry(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> ApiResult {
    let job = visible_job(&state, &caller, &raw).await?;
    let v = exec(&state, Request::JobsRetry { job: job.id }).await?;
    Ok(Json(json!({"success": true, "jobId": v["job"]["id"], "job": v["job"]})).into_response())
}

pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> ApiResult {
    let job = visible_job(&state, &caller, &raw).await?;
    let v = exec(&state, Request::JobsCancel { job: job.id }).await?;
    Ok(Json(json!({"success": true, "job": v})).into_response())
}

pub async fn companies(State(state): State<AppState>, caller: Caller) -> ApiResult {
    let (companies, prefs) = state
        .control
        .store
        .run(move |s| {
            s.read(|rx| {
                Ok((
                    store::list_companies(rx)?,
                    store::preferences_of_user(rx, caller.id())?,
                ))
            })
        })
        .await?;
    let out: Vec<Value> = companies
        .iter()
        .map(|c| {
            let mut v = json!(CompanyView::from(c));
            let mine = prefs.iter().find(|p| p.company_id == c.id);
            v["myRank"] = json!(mine.map(|p| p.rank.get()));
            v["tracking"] = json!(mine.is_some_and(|p| p.tracking));
            v
        })
        .collect();
    Ok(Json(out).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewCompanyBody {
    name: String,
    urls: Vec<String>,
    rank: Option<i64>,
    mode: Option<String>,
    #[serde(default)]
    include: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
}

pub async fn create_company(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<NewCompanyBody>,
) -> ApiResult {
    let req = Request::CompanyAdd {
        name: b.name,
        urls: b.urls,
        rank: b.rank,
        mode: b.mode,
        include: b.include,
        exclude: b.exclude,
        user: b.rank.map(|_| caller.id().to_string()),
    };
    let v = exec(&state, req).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

pub async fn company(
    State(state): State<AppState>,
    _caller: Caller,
    Path(raw): Path<String>,
) -> ApiResult {
    let company = id(&raw, "company")?.to_string();
    Ok(Json(exec(&state, Request::CompanyShow { company }).await?).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PatchCompanyBody {
    name: Option<String>,
    urls: Option<Vec<String>>,
    mode: Option<String>,
    include: Option<Vec<String>>,
    exclude: Option<Vec<String>>,
}

fn admin_only(caller: &Caller) -> Result<(), ApiError> {
    if caller.is_admin() {
        Ok(())
    } else {
        Err(ApiError::new(
            "forbidden",
            "only an admin may change or remove a company",
        ))
    }
}

pub async fn patch_company(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    JsonBody(b): JsonBody<PatchCompanyBody>,
) -> ApiResult {
    admin_only(&caller)?;
    let req = Request::CompanySet {
        company: id(&raw, "company")?.to_string(),
        name: b.name,
        urls: b.urls,
        mode: b.mode,
        include: b.include,
        exclude: b.exclude,
    };
    Ok(Json(exec(&state, req).await?).into_response())
}

pub async fn delete_company(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> ApiResult {
    admin_only(&caller)?;
    let company = id(&raw, "company")?.to_string();
    Ok(Json(exec(&state, Request::CompanyRemove { company }).await?).into_response())
}

pub async fn preferences(State(state): State<AppState>, caller: Caller) -> ApiResult {
    let prefs = state
        .control
        .store
        .run(move |s| s.read(|rx| store::preferences_of_user(rx, caller.id())))
        .await?;
    Ok(Json(prefs.iter().map(PreferenceView::from).collect::<Vec<_>>()).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PreferenceBody {
    rank: i64,
    tracking: Option<bool>,
}

pub async fn put_preference(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    JsonBody(b): JsonBody<PreferenceBody>,
) -> ApiResult {
    let company = id(&raw, "company")?.to_string();
    let user = caller.id().to_string();
    if b.tracking == Some(false) {
        return Ok(Json(exec(&state, Request::Untrack { user, company }).await?).into_response());
    }
    Ok(Json(
        exec(
            &state,
            Request::Track {
                user,
                company,
                rank: b.rank,
            },
        )
        .await?,
    )
    .into_response())
}

pub async fn delete_preference(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> ApiResult {
    let company = id(&raw, "company")?.to_string();
    let user = caller.id().to_string();
    Ok(Json(exec(&state, Request::Untrack { user, company }).await?).into_response())
}

pub async fn postings(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let q = query(raw.as_deref(), &["since", "limit", "baseline"])?;
    let limit = number(&q, "limit", 100, 1, 1000)?;
    let since = match q.get("since") {
        None => None,
        Some(s) => Some(crate::model::Timestamp::parse_rfc3339(s).ok_or_else(|| {
            ApiError::invalid(format!(
                "since={s:?} is not an RFC 3339 time such as 2026-01-31T09:00:00Z"
            ))
        })?),
    };
    let include_baseline = match q.get("baseline").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "baseline={other:?} must be true or false"
            )));
        }
    };
    let postings = state
        .control
        .store
        .run(move |s| {
            let companies = visible(s, &caller)?;
            s.read(|rx| {
                store::list_postings(
                    rx,
                    &PostingFilter {
                        companies,
                        since,
                        include_baseline,
                        limit,
                    },
                )
            })
        })
        .await?;
    Ok(Json(json!({
        "postings": postings.iter().map(PostingView::from).collect::<Vec<_>>(),
        "count": postings.len(),
    }))
    .into_response())
}

pub async fn attention(State(state): State<AppState>, _caller: Caller) -> ApiResult {
    Ok(Json(exec(&state, Request::Attention).await?).into_response())
}
