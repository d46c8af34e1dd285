//! `scoutly run --demo`: a small careers site on loopback whose pages gain a
//! new posting every few seconds, so a newcomer sees the appliance record a
//! baseline and then find new postings, with no network and no config.
//!
//! The site has the navigation a real careers page has (home, blog, legal,
//! department filters) so the demo also shows those links being ignored.

mod seed;

pub use seed::{config, seed};

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Companies of the demo site: (slug, display name).
pub const COMPANIES: [(&str, &str); 3] = [
    ("acme", "Acme Rockets"),
    ("globex", "Globex"),
    ("initech", "Initech"),
];

const TITLES: [&str; 12] = [
    "Backend Engineer",
    "Product Designer",
    "Site Reliability Engineer",
    "Data Analyst",
    "Engineering Manager",
    "Frontend Developer",
    "Technical Writer",
    "Security Engineer",
    "Sales Representative",
    "Customer Support Specialist",
    "Machine Learning Scientist",
    "Office Manager",
];

#[derive(Debug, Default)]
struct Site {
    /// Per company: (id, title) of open postings.
    jobs: Vec<Vec<(u32, String)>>,
    next_id: u32,
}

impl Site {
    fn add(&mut self, company: usize) -> String {
        self.next_id += 1;
        let title = TITLES[self.next_id as usize % TITLES.len()].to_string();
        self.jobs[company].push((self.next_id, title.clone()));
        title
    }
}

type Shared = Arc<Mutex<Site>>;

/// The running demo site.
pub struct DemoSite {
    pub addr: SocketAddr,
}

impl DemoSite {
    pub fn careers_url(&self, slug: &str) -> String {
        format!("http://{}/{slug}/careers", self.addr)
    }
}

/// Start the site on 127.0.0.1 (ephemeral port) and its posting generator.
pub async fn start(
    every: Duration,
    tracker: &TaskTracker,
    cancel: CancellationToken,
) -> std::io::Result<DemoSite> {
    let mut site = Site {
        jobs: vec![Vec::new(); COMPANIES.len()],
        next_id: 0,
    };
    for c in 0..COMPANIES.len() {
        for _ in 0..3 {
            site.add(c);
        }
    }
    let shared: Shared = Arc::new(Mutex::new(site));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let app = Router::new()
        .route("/", get(|| async { Html("<h1>Demo careers site</h1>") }))
        .route("/{company}/careers", get(careers))
        .route("/{company}/jobs/{slug}", get(job))
        .with_state(shared.clone());
    let c1 = cancel.clone();
    tracker.spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move { c1.cancelled().await })
            .await;
    });
    tracker.spawn(async move {
        let mut turn = 0usize;
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
            let company = turn % COMPANIES.len();
            turn += 1;
            let title = shared.lock().unwrap_or_else(|e| e.into_inner()).add(company);
            tracing::info!(company = COMPANIES[company].1, %title, "demo site: a new job was posted");
        }
    });
    Ok(DemoSite { addr })
}

fn slugify(s: &str) -> String {
    s.to_ascii_lowercase().replace(' ', "-")
}

async fn careers(State(site): State<Shared>, Path(company): Path<String>) -> impl IntoResponse {
    let Some(idx) = COMPANIES.iter().position(|(slug, _)| *slug == company) else {
        return (StatusCode::NOT_FOUND, Html("no such company".to_string()));
    };
    let name = COMPANIES[idx].1;
    let site = site.lock().unwrap_or_else(|e| e.into_inner());
    let mut items = String::new();
    for (id, title) in &site.jobs[idx] {
        items.push_str(&format!(
            "<li><a href=\"/{company}/jobs/{id}-{}\">{title}</a></li>\n",
            slugify(title)
        ));
    }
    let page = format!(
        "<!doctype html><html><head><title>{name} careers</title></head><body>
<nav><a href=\"/\">Home</a> <a href=\"/{company}/blog\">Blog</a> <a href=\"/{company}/careers\">Careers</a>
<a href=\"/{company}/careers/life-at-{company}\">Life at {name}</a></nav>
<h1>Open positions at {name}</h1>
<p>Filter: <a href=\"/{company}/jobs/departments/engineering\">Engineering</a>
<a href=\"/{company}/jobs?page=1\">All</a></p>
<ul>
{items}</ul>
<footer><a href=\"/privacy\">Privacy</a> <a href=\"mailto:jobs@{company}.example\">Contact</a></footer>
</body></html>"
    );
    (StatusCode::OK, Html(page))
}

/// A posting's page, with the schema.org data careers sites publish.
async fn job(Path((company, slug)): Path<(String, String)>) -> Html<String> {
    const PLACES: [&str; 4] = ["Berlin", "Lisbon", "Remote", "London"];
    let n: usize = slug.bytes().map(usize::from).sum();
    let place = PLACES[n % PLACES.len()];
    let title: String = slug
        .split('-')
        .skip(1)
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        })
        .collect::<Vec<String>>()
        .join(" ");
    let remote = if place == "Remote" {
        r#","jobLocationType":"TELECOMMUTE""#
    } else {
        ""
    };
    Html(format!(
        r#"<!doctype html><html><head><title>{title} | {company}</title>
<script type="application/ld+json">{{"@context":"https://schema.org","@type":"JobPosting","title":"{title}","jobLocation":{{"@type":"Place","address":{{"addressLocality":"{place}"}}}}{remote}}}</script>
</head><body><nav><a href="/">Home</a></nav><h1>{title}</h1>
<p>{company} is hiring a {title} in {place}. You will work with a small team on
systems people rely on every day.</p></body></html>"#
    ))
}
