//! A fixture careers site on 127.0.0.1 (ephemeral port) whose pages tests
//! change while the appliance watches it. Runs on its own thread so tests can
//! stay synchronous.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Clone, Debug)]
pub struct Page {
    pub status: u16,
    pub body: String,
    pub delay: Duration,
    pub location: Option<String>,
    /// Extra response headers. An `etag` header makes the page answer
    /// `304 Not Modified` to a request whose `If-None-Match` matches it.
    pub headers: Vec<(String, String)>,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            status: 200,
            body: String::new(),
            delay: Duration::ZERO,
            location: None,
            headers: Vec::new(),
        }
    }
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Hit {
    pub path: String,
    pub query: Option<String>,
    pub start: Instant,
    /// When the answer was ready (after the page's delay).
    pub end: Instant,
    pub status: u16,
    pub user_agent: String,
    pub if_none_match: Option<String>,
}

#[derive(Default)]
struct Inner {
    pages: HashMap<String, Page>,
    hits: HashMap<String, usize>,
    log: Vec<Hit>,
}

#[derive(Clone)]
pub struct Site {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

/// A careers page listing `jobs` (id, title) under `/{company}/jobs/{id}`,
/// with the navigation a real page has.
pub fn careers_page(company: &str, jobs: &[(u32, &str)]) -> String {
    let mut items = String::new();
    for (id, title) in jobs {
        let slug = title.to_lowercase().replace(' ', "-");
        items.push_str(&format!(
            "<li><a href=\"/{company}/jobs/{id}-{slug}?utm_source=site\">{title}</a></li>\n"
        ));
    }
    format!(
        "<html><body><nav><a href=\"/\">Home</a><a href=\"/{company}/blog\">Blog</a>\
         <a href=\"/{company}/careers\">Careers</a><a href=\"/privacy\">Privacy</a></nav>\
         <a href=\"/{company}/jobs/teams/engineering\">Engineering team</a>\
         <ul>{items}</ul><a href=\"https://twitter.com/{company}\">Twitter</a></body></html>"
    )
}

impl Site {
    pub fn start() -> Site {
        Self::start_on("127.0.0.1")
    }

    /// A site on another loopback address (a different host for pacing).
    pub fn start_on(ip: &'static str) -> Site {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new().fallback(serve).with_state(inner.clone());
        let addr = super::serve(ip, app);
        Site { addr, inner }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn set(&self, path: &str, body: String) {
        self.set_page(
            path,
            Page {
                body,
                ..Page::default()
            },
        );
    }

    pub fn set_page(&self, path: &str, page: Page) {
        self.inner
            .lock()
            .unwrap()
            .pages
            .insert(path.to_string(), page);
    }

    pub fn set_delay(&self, path: &str, delay: Duration) {
        if let Some(p) = self.inner.lock().unwrap().pages.get_mut(path) {
            p.delay = delay;
        }
    }

    /// Every request so far, in arrival order.
    pub fn log(&self) -> Vec<Hit> {
        self.inner.lock().unwrap().log.clone()
    }

    pub fn hits(&self, path: &str) -> usize {
        self.inner
            .lock()
            .unwrap()
            .hits
            .get(path)
            .copied()
            .unwrap_or(0)
    }
}

async fn serve(State(inner): State<Arc<Mutex<Inner>>>, req: Request) -> Response {
    let start = Instant::now();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(String::from);
    let (user_agent, if_none_match) = {
        let header = |name: &str| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(String::from)
        };
        (
            header("user-agent").unwrap_or_default(),
            header("if-none-match"),
        )
    };
    drop(req);
    let page = {
        let mut i = inner.lock().unwrap();
        *i.hits.entry(path.clone()).or_default() += 1;
        // A page set for `path?query` answers that query only.
        let full = query.as_ref().map(|q| format!("{path}?{q}"));
        full.and_then(|f| i.pages.get(&f))
            .or_else(|| i.pages.get(&path))
            .cloned()
    };
    let resp = match page {
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
        Some(page) => {
            if !page.delay.is_zero() {
                tokio::time::sleep(page.delay).await;
            }
            let etag = page
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("etag"))
                .map(|(_, v)| v.clone());
            let status = if etag.is_some() && etag == if_none_match {
                StatusCode::NOT_MODIFIED
            } else {
                StatusCode::from_u16(page.status).unwrap()
            };
            let body = if status == StatusCode::NOT_MODIFIED {
                String::new()
            } else {
                page.body
            };
            let mut resp = (status, [("content-type", "text/html")], body).into_response();
            if let Some(loc) = page.location {
                resp.headers_mut().insert("location", loc.parse().unwrap());
            }
            for (k, v) in page.headers {
                resp.headers_mut().insert(
                    axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    v.parse().unwrap(),
                );
            }
            resp
        }
    };
    inner.lock().unwrap().log.push(Hit {
        path,
        query,
        start,
        end: Instant::now(),
        status: resp.status().as_u16(),
        user_agent,
        if_none_match,
    });
    resp
}
