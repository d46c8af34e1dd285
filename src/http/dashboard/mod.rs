//! The built-in dashboard at `/`: server-rendered pages plus one small
//! script, no build step and nothing loaded from another host.
//!
//! Signing in checks a token and keeps it in an `HttpOnly`,
//! `SameSite=Lax` cookie, which the JSON API also accepts (see
//! `auth`); the pages read the store exactly as the API does, through the
//! same visibility rules, and every action the page offers is a call to
//! the JSON API. Live updates come from `/api/events`; a section marked
//! `data-live` is redrawn by fetching its page again, so the HTML is
//! written in one place only.

mod companies;
mod html;
mod pages;
mod stats;

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;

use super::api::{can_see, find_jobs, visible};
use super::auth::{self, COOKIE};
use super::{AppState, Caller};
use crate::model::{Company, Id, Job, JobStatus, Role, User};
use crate::queue::{self, JobFilter};
use crate::store::{self, PostingFilter};
use html::Frame;
use pages::{AttentionRow, JobsPage, JobsQuery};

/// Companies listed on one companies page (a search narrows them).
const MAX_COMPANIES: usize = 200;
/// Jobs per history page.
const JOBS_PER_PAGE: usize = 20;
/// How long the sign-in cookie lasts. It is `SameSite=Lax`, not `Strict`:
/// a link from a notification opens the dashboard signed in, and the only
/// cross-site requests that carry it are top-level GETs of pages, which
/// change nothing and whose answers the other site cannot read; anything
/// that changes state also needs the dashboard's own header.
const SESSION_SECS: u64 = 30 * 86400;

const SCRIPT: &str = include_str!("app.js");
const STYLE: &str = include_str!("style.css");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(overview))
        .route("/companies", get(companies::page))
        .route("/jobs", get(jobs))
        .route("/postings", get(postings))
        .route("/attention", get(attention))
        .route("/stats", get(stats::page))
        .route("/signin", get(sign_in_page).post(sign_in))
        .route("/signout", axum::routing::post(sign_out))
        .route("/assets/app.js", get(|| asset("text/javascript", SCRIPT)))
        .route("/assets/style.css", get(|| asset("text/css", STYLE)))
}

async fn asset(kind: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// Every page answer: HTML, never cached (it holds the user's data), and
/// framed by no other site.
fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
            ),
        ],
        Html(body),
    )
        .into_response()
}

/// The signed-in user of a page; without one, the page sends the browser
/// to sign in.
struct Session(User);

impl FromRequestParts<AppState> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Some((token, _)) = auth::credential(&parts.headers) else {
            return Err(Redirect::to("/signin").into_response());
        };
        match auth::user_of_token(state, token).await {
            Ok(user) if user.role != Role::Service => Ok(Session(user)),
            Ok(_) => Err(Redirect::to("/signin").into_response()),
            Err(e) if e.code == "unauthorized" => Err(Redirect::to("/signin").into_response()),
            Err(e) => Err(e.into_response()),
        }
    }
}

async fn sign_in_page() -> Response {
    html(StatusCode::OK, html::sign_in(None))
}

/// `POST /signin` with the form's `token`: the cookie, then the overview.
async fn sign_in(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    // A form on another site must not sign the browser in as someone else.
    if !same_origin(&headers) {
        return html(
            StatusCode::FORBIDDEN,
            html::sign_in(Some("sign in from the appliance's own page")),
        );
    }
    let token = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    let refuse = |message: &str| html(StatusCode::UNAUTHORIZED, html::sign_in(Some(message)));
    if token.is_empty() {
        return refuse("enter your API token");
    }
    // Tokens are `sct_` and hex; anything else cannot be one, and must not
    // reach a cookie header.
    if token.len() > 256 || !token.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return refuse("that is not a Scoutly token (they look like sct_ and 64 hex digits)");
    }
    let user = match auth::user_of_token(&state, token.clone()).await {
        Ok(u) => u,
        Err(e) if e.code == "unauthorized" => {
            return refuse(
                "unknown or revoked token; ask an admin for a new one (scoutly user token NAME)",
            );
        }
        Err(e) => {
            return html(
                StatusCode::SERVICE_UNAVAILABLE,
                html::sign_in(Some(&e.message)),
            );
        }
    };
    if user.role == Role::Service {
        return refuse(
            "a service token acts for other users and cannot sign in; use your own token",
        );
    }
    let https = headers
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    let cookie = format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={SESSION_SECS}{}",
        if https { "; Secure" } else { "" }
    );
    let mut resp = Redirect::to("/").into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

/// Whether a form post came from the appliance's own pages: a browser
/// sends `Origin` with every POST; it must name the host the request was
/// sent to (directly, or as a proxy or tunnel forwarded it).
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // Not a browser (curl, a test client): nothing to forge.
        return true;
    };
    let Some((_, host)) = origin.split_once("://") else {
        return false;
    };
    [header::HOST.as_str(), "x-forwarded-host"]
        .iter()
        .filter_map(|h| headers.get(*h).and_then(|v| v.to_str().ok()))
        .any(|h| h.eq_ignore_ascii_case(host))
}

async fn sign_out(headers: HeaderMap) -> Response {
    if !same_origin(&headers) {
        return html(
            StatusCode::FORBIDDEN,
            html::sign_in(Some("sign out from the appliance's own page")),
        );
    }
    let mut resp = Redirect::to("/signin").into_response();
    let cookie = format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

/// What every page's frame shows: the user's active jobs and the names of
/// all companies.
struct Common {
    active: Vec<Job>,
    names: BTreeMap<Id, String>,
    companies: Vec<Company>,
}

fn common(rx: &store::Rx, visible: &Option<Vec<Id>>) -> store::Result<Common> {
    let mut active = queue::active_jobs(rx)?;
    active.retain(|j| can_see(visible, j.company_id));
    active.sort_by_key(|j| (j.status != JobStatus::InProgress, std::cmp::Reverse(j.id)));
    active.truncate(40);
    let companies = store::list_companies(rx)?;
    let names = companies.iter().map(|c| (c.id, c.name.clone())).collect();
    Ok(Common {
        active,
        names,
        companies,
    })
}

/// Render a page inside the frame; the frame embeds only the names of
/// companies with active jobs (the script asks the API for others).
fn framed(user: &User, path: &str, title: &str, common: &Common, main: &str) -> Response {
    let names: BTreeMap<Id, String> = common
        .active
        .iter()
        .filter_map(|j| Some((j.company_id, common.names.get(&j.company_id)?.clone())))
        .collect();
    let frame = Frame {
        title,
        path,
        user,
        active: &common.active,
        names: &names,
    };
    html(StatusCode::OK, html::page(&frame, main))
}

type PageResult = Result<Response, Response>;

fn failed(e: impl Into<super::ApiError>) -> Response {
    e.into().into_response()
}

async fn overview(State(state): State<AppState>, Session(user): Session) -> PageResult {
    let caller = Caller(user.clone());
    let c = state.control.clone();
    let now = c.clock.now();
    let (report, postings, common, inactive) = c
        .store
        .clone()
        .run(move |s| {
            let report = crate::status::build(s, c.live.as_ref(), now)?;
            let vis = visible(s, &caller)?;
            s.read(|rx| {
                let filter = PostingFilter {
                    companies: vis.clone(),
                    limit: 10,
                    ..Default::default()
                };
                let postings = crate::views::postings_for(rx, &filter, Some(caller.id()), None)?;
                // Who the scheduler sets aside, for admins only.
                let inactive = match caller.is_admin() {
                    true => Some(store::inactive_users(rx)?),
                    false => None,
                };
                Ok((report, postings, common(rx, &vis)?, inactive))
            })
        })
        .await
        .map_err(failed)?;
    let main = pages::overview(&report, &postings, &common.names, inactive.as_deref(), now);
    Ok(framed(&user, "/", "Overview", &common, &main))
}

/// The query's value of `key`, if any (a page ignores what it does not
/// know, as a browser's form may send extra fields).
fn param(raw: &Option<String>, key: &str) -> Option<String> {
    let raw = raw.as_deref()?;
    url::form_urlencoded::parse(raw.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.trim().chars().take(100).collect())
}

async fn jobs(
    State(state): State<AppState>,
    Session(user): Session,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let query = JobsQuery {
        page: param(&raw, "page")
            .and_then(|p| p.parse().ok())
            .filter(|p| (1..=100_000).contains(p))
            .unwrap_or(1),
        status: param(&raw, "status").and_then(|s| JobStatus::parse(&s)),
        company: param(&raw, "company").unwrap_or_default(),
    };
    let caller = Caller(user.clone());
    let (status, page, search) = (
        query.status,
        query.page,
        Some(query.company.to_lowercase()).filter(|s| !s.is_empty()),
    );
    let ((found, total), common) = state
        .control
        .store
        .run(move |s| {
            let vis = visible(s, &caller)?;
            let filter = JobFilter {
                status,
                companies: vis.clone(),
                offset: (page - 1) * JOBS_PER_PAGE,
                limit: JOBS_PER_PAGE,
                ..Default::default()
            };
            s.read(|rx| Ok((find_jobs(rx, filter, search.as_deref())?, common(rx, &vis)?)))
        })
        .await
        .map_err(failed)?;
    let main = pages::jobs(&JobsPage {
        jobs: &found,
        total,
        pages: total.div_ceil(JOBS_PER_PAGE as u64),
        query: &query,
        names: &common.names,
        user: user.id,
        admin: user.role == Role::Admin,
        now: state.control.clock.now(),
    });
    Ok(framed(&user, "/jobs", "Jobs", &common, &main))
}

async fn postings(State(state): State<AppState>, Session(user): Session) -> PageResult {
    let caller = Caller(user.clone());
    let (postings, common) = state
        .control
        .store
        .run(move |s| {
            let vis = visible(s, &caller)?;
            s.read(|rx| {
                let filter = PostingFilter {
                    companies: vis.clone(),
                    limit: 100,
                    ..Default::default()
                };
                let postings = crate::views::postings_for(rx, &filter, Some(caller.id()), None)?;
                Ok((postings, common(rx, &vis)?))
            })
        })
        .await
        .map_err(failed)?;
    let now = state.control.clock.now();
    let main = pages::postings_section(&postings, &common.names, "New postings", true, now);
    Ok(framed(&user, "/postings", "Postings", &common, &main))
}

async fn attention(State(state): State<AppState>, Session(user): Session) -> PageResult {
    let caller = Caller(user.clone());
    let (items, common) = state
        .control
        .store
        .run(move |s| {
            let vis = visible(s, &caller)?;
            s.read(|rx| Ok((store::list_attention(rx)?, common(rx, &vis)?)))
        })
        .await
        .map_err(failed)?;
    let rows: Vec<AttentionRow> = items
        .iter()
        .map(|a| {
            let company = common.companies.iter().find(|c| c.id == a.company_id);
            AttentionRow {
                item: crate::views::AttentionView::new(
                    a,
                    company.map(|c| c.name.clone()).unwrap_or_default(),
                ),
                last_error: company.and_then(|c| c.health.last_error.clone()),
                failures: company.map_or(0, |c| c.health.consecutive_failures),
            }
        })
        .collect();
    let now = state.control.clock.now();
    let main = pages::attention(&rows, user.role == Role::Admin, now);
    Ok(framed(&user, "/attention", "Attention", &common, &main))
}
