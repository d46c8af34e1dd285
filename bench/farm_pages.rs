//! The farm's sites as a careers site or a job board serves them: the
//! pages of each kind (`Kind`), the board API, and the request log entry
//! every answer leaves.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};

use super::{Hit, Kind, Posting, Shared, SiteInfo};

const PER_PAGE: usize = 10;
const SLOW: Duration = Duration::from_secs(8);

fn slug(title: &str) -> String {
    title.to_lowercase().replace(' ', "-")
}

pub(super) fn posting_url(site: &SiteInfo, p: &Posting) -> String {
    format!("{}/jobs/{}-{}", site.origin, p.id, slug(&p.title))
}

fn record(shared: &Shared, site: usize, req: &Request, status: u16) {
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let user_agent = req
        .headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let at = shared.started.elapsed();
    shared.log.lock().unwrap().push(Hit {
        site,
        path,
        user_agent,
        status,
        at,
    });
}

/// The weight real careers pages carry around their postings.
fn chrome(title: &str, body: &str) -> String {
    let state: String = (0..400)
        .map(|k| {
            format!(
                "{{\"k\":{k},\"v\":\"filter-value-{k}-lorem-ipsum-dolor-sit-amet-consectetur\"}},"
            )
        })
        .collect();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <link rel=\"stylesheet\" href=\"/assets/site.css\"><script>window.__STATE__=[{state}0];</script></head>\
         <body><header><nav><a href=\"/\">Home</a><a href=\"/about\">About</a><a href=\"/blog\">Blog</a>\
         <a href=\"/careers\">Careers</a><a href=\"/careers/life\">Life here</a></nav></header><main>{body}</main>\
         <footer><a href=\"/privacy\">Privacy</a><a href=\"/terms\">Terms</a>\
         <a href=\"mailto:jobs@example.com\">Contact</a></footer></body></html>"
    )
}

fn list(site: &SiteInfo, postings: &[Posting]) -> String {
    let mut s = String::from("<ul class=\"jobs\">");
    for p in postings {
        s.push_str(&format!(
            "<li><a class=\"job\" href=\"{}\">{}</a><span>Berlin &middot; Remote</span>\
             <p>Join us as {} and help build what comes next; a fair salary and good people.</p></li>",
            posting_url(site, p),
            p.title,
            p.title
        ));
    }
    s.push_str("</ul>");
    s
}

pub(super) async fn site(
    State((shared, i)): State<(Arc<Shared>, usize)>,
    req: Request,
) -> Response {
    let info = &shared.sites[i];
    let path = req.uri().path().to_string();
    let page: usize = req
        .uri()
        .query()
        .and_then(|q| q.strip_prefix("page="))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let postings = shared.postings.lock().unwrap()[i].clone();
    let (status, body): (u16, Response) = match (info.kind, path.as_str()) {
        (_, "/robots.txt") => (200, "User-agent: *\nDisallow: /private/\n".into_response()),
        (Kind::Failing, _) => (
            500,
            (StatusCode::INTERNAL_SERVER_ERROR, "upstream error").into_response(),
        ),
        (Kind::Script, "/api/jobs") => {
            let jobs: Vec<Value> = postings
                .iter()
                .map(|p| json!({"title": p.title, "url": posting_url(info, p)}))
                .collect();
            (200, axum::Json(jobs).into_response())
        }
        (Kind::Script, "/careers") => {
            let body = "<h1>Open roles</h1><ul id=\"jobs\"></ul><script>\
                fetch('/api/jobs').then(r => r.json()).then(js => { const ul = document.getElementById('jobs');\
                for (const j of js) { const li = document.createElement('li'); const a = document.createElement('a');\
                a.href = j.url; a.textContent = j.title; li.appendChild(a); ul.appendChild(li); } });</script>";
            (200, Html(chrome("Careers", body)).into_response())
        }
        (Kind::Paged, "/careers") => {
            let pages = postings.len().div_ceil(PER_PAGE).max(1);
            let page = page.clamp(1, pages);
            let start = (page - 1) * PER_PAGE;
            let end = (start + PER_PAGE).min(postings.len());
            let mut body = format!(
                "<h1>Open roles, page {page} of {pages}</h1>{}",
                list(info, &postings[start..end])
            );
            if page < pages {
                body.push_str(&format!(
                    "<a rel=\"next\" href=\"/careers?page={}\">Next page</a>",
                    page + 1
                ));
            }
            (200, Html(chrome("Careers", &body)).into_response())
        }
        (_, "/careers") => {
            if info.kind == Kind::Slow {
                tokio::time::sleep(SLOW).await;
            }
            let body = format!("<h1>Open roles</h1>{}", list(info, &postings));
            (200, Html(chrome("Careers", &body)).into_response())
        }
        (_, p) if p.starts_with("/jobs/") => {
            let body = format!("<h1>{p}</h1><p>What you will do, who you are, what we offer.</p>");
            (200, Html(chrome("Job", &body)).into_response())
        }
        _ => (404, (StatusCode::NOT_FOUND, "not found").into_response()),
    };
    record(&shared, i, &req, status);
    body
}

/// Greenhouse's board API, `GET /v1/boards/farm{i}/jobs`.
pub(super) async fn board_api(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let segs: Vec<&str> = req.uri().path().split('/').collect();
    let site = match segs.as_slice() {
        ["", "v1", "boards", slug, "jobs"] => slug
            .strip_prefix("farm")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|&i| shared.sites.get(i).is_some_and(|s| s.kind == Kind::Board)),
        _ => None,
    };
    if segs.get(1) == Some(&"jobs") {
        record(&shared, usize::MAX, &req, 200);
        return Html(chrome("Job", "<h1>A posting</h1><p>What you will do.</p>")).into_response();
    }
    let Some(i) = site else {
        record(&shared, usize::MAX, &req, 404);
        return (StatusCode::NOT_FOUND, "no such board").into_response();
    };
    let info = &shared.sites[i];
    let postings = shared.postings.lock().unwrap()[i].clone();
    let jobs: Vec<Value> = postings
        .iter()
        .map(|p| {
            json!({"id": p.id, "title": p.title, "absolute_url": posting_url(info, p),
                   "updated_at": "2026-11-01T09:00:00Z", "location": {"name": "Berlin"}})
        })
        .collect();
    record(&shared, i, &req, 200);
    axum::Json(json!({"jobs": jobs, "meta": {"total": postings.len()}})).into_response()
}
