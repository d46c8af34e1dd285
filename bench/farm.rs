//! A careers-site farm: `n` companies' careers sites, each on its own
//! loopback address, in six kinds, with a control endpoint that adds and
//! removes postings and a log of every request the sites answered.
//!
//! Kinds, by `i % 20`: 11 in 20 a static page listing every posting; 4 a
//! paginated list (10 a page, newest first, `rel="next"` links); 2 a
//! JavaScript shell that fetches its postings as JSON and builds the links
//! in the page; 1 a Greenhouse-style job-board API (all of them on one
//! board host, as boards are, at `/v1/boards/farm{i}/jobs`); 1 a slow site
//! (the page after 8 s); 1 a failing site (500). Pages carry the weight real
//! ones do (navigation, an inline state script of 40 KB, descriptions).
//!
//! Control, on 127.0.0.1:
//! - `GET /sites`: `[{"id","kind","url","watch"}]`: `url` is what a
//!   company's careers URL is (for a board: the board page, whose API is
//!   served here), `watch` the address a page watcher watches;
//! - `POST /sites/{i}/postings`: add a posting at the top; answers
//!   `{"id","url","title"}`;
//! - `DELETE /sites/{i}/postings/{id}`: remove one;
//! - `GET /log?after=N`: the requests after the N-th, as
//!   `[{"n","site","path","userAgent","status","ms"}]`.
//!
//! `cargo bench --bench farm -- --sites 200` serves a farm until Ctrl-C.
#![allow(dead_code)]

#[path = "farm_pages.rs"]
mod pages;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Static,
    Paged,
    Script,
    Board,
    Slow,
    Failing,
}

impl Kind {
    fn of(i: usize) -> Kind {
        match i % 20 {
            0..=10 => Kind::Static,
            11..=14 => Kind::Paged,
            15 | 16 => Kind::Script,
            17 => Kind::Board,
            18 => Kind::Slow,
            _ => Kind::Failing,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Static => "static",
            Kind::Paged => "paged",
            Kind::Script => "script",
            Kind::Board => "board",
            Kind::Slow => "slow",
            Kind::Failing => "failing",
        }
    }
}

#[derive(Clone, Debug)]
pub struct SiteInfo {
    pub id: usize,
    pub kind: Kind,
    /// The company's careers URL.
    pub url: String,
    /// What a page watcher watches: the board's API for a board, else `url`.
    pub watch: String,
    /// Where the site's own pages are served (the board host for a board).
    origin: String,
}

/// One request a site answered.
#[derive(Clone, Debug)]
pub struct Hit {
    pub site: usize,
    pub path: String,
    pub user_agent: String,
    pub status: u16,
    /// Since the farm started.
    pub at: Duration,
}

#[derive(Clone, Debug)]
pub struct Posting {
    pub id: u32,
    pub title: String,
}

struct Shared {
    started: Instant,
    sites: Vec<SiteInfo>,
    postings: Mutex<Vec<Vec<Posting>>>,
    next_id: Mutex<u32>,
    log: Mutex<Vec<Hit>>,
}

pub struct Farm {
    shared: Arc<Shared>,
    pub control: String,
    /// The board host's origin, for `[fetch.job_boards] greenhouse`.
    pub board: String,
    rt: tokio::runtime::Runtime,
}

const TITLES: [&str; 8] = [
    "Senior Backend Engineer",
    "Product Designer",
    "Account Executive",
    "Data Analyst",
    "Site Reliability Engineer",
    "Engineering Manager",
    "Customer Success Lead",
    "Frontend Developer",
];

fn ip(i: usize) -> String {
    format!("127.1.{}.{}", i / 250, i % 250 + 1)
}

impl Farm {
    /// `n` sites with 20 postings each (25 for paginated ones), served on a
    /// runtime of their own.
    pub fn start(n: usize) -> Farm {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let bind = |ip: String| {
            rt.block_on(tokio::net::TcpListener::bind((ip.as_str(), 0)))
                .unwrap()
        };
        let board_listener = bind("127.2.0.1".into());
        let board = format!("http://{}", board_listener.local_addr().unwrap());
        let mut listeners = Vec::new();
        let mut sites = Vec::new();
        for i in 0..n {
            let kind = Kind::of(i);
            let (url, watch, origin) = if kind == Kind::Board {
                let api = format!("{board}/v1/boards/farm{i}/jobs");
                (
                    format!("https://boards.greenhouse.io/farm{i}"),
                    api,
                    board.clone(),
                )
            } else {
                let l = bind(ip(i));
                let origin = format!("http://{}", l.local_addr().unwrap());
                listeners.push((i, l));
                let url = format!("{origin}/careers");
                (url.clone(), url, origin)
            };
            sites.push(SiteInfo {
                id: i,
                kind,
                url,
                watch,
                origin,
            });
        }
        let mut next = 1000;
        let postings = sites
            .iter()
            .map(|s| {
                let k = if s.kind == Kind::Paged { 25 } else { 20 };
                (0..k)
                    .map(|j| {
                        next += 1;
                        Posting {
                            id: next,
                            title: TITLES[(s.id + j) % TITLES.len()].into(),
                        }
                    })
                    .collect()
            })
            .collect();
        let shared = Arc::new(Shared {
            started: Instant::now(),
            sites,
            postings: Mutex::new(postings),
            next_id: Mutex::new(next),
            log: Mutex::new(Vec::new()),
        });
        for (i, l) in listeners {
            let app = Router::new()
                .fallback(pages::site)
                .with_state((shared.clone(), i));
            rt.spawn(async move { axum::serve(l, app).await.unwrap() });
        }
        let app = Router::new()
            .fallback(pages::board_api)
            .with_state(shared.clone());
        rt.spawn(async move { axum::serve(board_listener, app).await.unwrap() });
        let control_listener = bind("127.0.0.1".into());
        let control = format!("http://{}", control_listener.local_addr().unwrap());
        let app = control_router(shared.clone());
        rt.spawn(async move { axum::serve(control_listener, app).await.unwrap() });
        Farm {
            shared,
            control,
            board,
            rt,
        }
    }

    pub fn sites(&self) -> &[SiteInfo] {
        &self.shared.sites
    }

    /// Add a posting at the top of site `i`; returns it and its URL.
    pub fn add_posting(&self, i: usize) -> (Posting, String) {
        add_posting(&self.shared, i)
    }

    pub fn remove_posting(&self, i: usize, id: u32) -> bool {
        remove_posting(&self.shared, i, id)
    }

    pub fn log(&self) -> Vec<Hit> {
        self.shared.log.lock().unwrap().clone()
    }

    /// Requests whose User-Agent contains `agent`.
    pub fn requests_by(&self, agent: &str) -> usize {
        let log = self.shared.log.lock().unwrap();
        log.iter().filter(|h| h.user_agent.contains(agent)).count()
    }
}

fn add_posting(shared: &Shared, i: usize) -> (Posting, String) {
    let id = {
        let mut n = shared.next_id.lock().unwrap();
        *n += 1;
        *n
    };
    let p = Posting {
        id,
        title: format!("{} {id}", TITLES[id as usize % TITLES.len()]),
    };
    shared.postings.lock().unwrap()[i].insert(0, p.clone());
    let url = pages::posting_url(&shared.sites[i], &p);
    (p, url)
}

fn remove_posting(shared: &Shared, i: usize, id: u32) -> bool {
    let mut all = shared.postings.lock().unwrap();
    let before = all[i].len();
    all[i].retain(|p| p.id != id);
    all[i].len() != before
}

/// The control endpoint (see the module's docs).
fn control_router(shared: Arc<Shared>) -> Router {
    async fn sites(State(shared): State<Arc<Shared>>) -> Response {
        let all: Vec<Value> = shared
            .sites
            .iter()
            .map(|s| json!({"id": s.id, "kind": s.kind.name(), "url": s.url, "watch": s.watch}))
            .collect();
        axum::Json(all).into_response()
    }
    async fn add(State(shared): State<Arc<Shared>>, Path(i): Path<usize>) -> Response {
        if i >= shared.sites.len() {
            return (StatusCode::NOT_FOUND, "no such site").into_response();
        }
        let (p, url) = add_posting(&shared, i);
        (
            StatusCode::CREATED,
            axum::Json(json!({"id": p.id, "url": url, "title": p.title})),
        )
            .into_response()
    }
    async fn remove(
        State(shared): State<Arc<Shared>>,
        Path((i, id)): Path<(usize, u32)>,
    ) -> StatusCode {
        if i < shared.sites.len() && remove_posting(&shared, i, id) {
            StatusCode::NO_CONTENT
        } else {
            StatusCode::NOT_FOUND
        }
    }
    async fn log(
        State(shared): State<Arc<Shared>>,
        Query(q): Query<HashMap<String, usize>>,
    ) -> Response {
        let after = q.get("after").copied().unwrap_or(0);
        let log = shared.log.lock().unwrap();
        let out: Vec<Value> = log
            .iter()
            .enumerate()
            .skip(after)
            .map(|(n, h)| {
                json!({"n": n + 1, "site": h.site, "path": h.path, "userAgent": h.user_agent,
                       "status": h.status, "ms": h.at.as_millis() as u64})
            })
            .collect();
        axum::Json(out).into_response()
    }
    Router::new()
        .route("/sites", get(sites))
        .route("/sites/{i}/postings", post(add))
        .route("/sites/{i}/postings/{id}", delete(remove))
        .route("/log", get(log))
        .with_state(shared)
}
