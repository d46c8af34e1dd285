//! Browser cost: seconds and peak memory (this process + Chromium) per page
//! rendered in the headless browser, over 50 JavaScript-built careers pages.
//!
//! A child process (this binary with `SCOUTLY_BENCH_SERVE=1`) serves the
//! pages: each an empty shell whose script fetches its 30 postings as JSON
//! and draws the links. This process renders them one after another through
//! `Fetcher::render` with the default `[browser]` settings (one tab), and
//! samples memory every 20 ms: VmRSS of itself and of every Chromium process
//! of its profile, and their PSS (shared pages divided among the processes
//! sharing them, so the sum is not inflated by Chromium's shared memory).
//!
//! `cargo bench --bench browser` (needs Debian's `chromium`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use scoutly::config::Config;
use scoutly::extract::{self, LinkFilter};
use scoutly::fetch::Fetcher;

#[path = "child.rs"]
mod child;

const PAGES: usize = 50;
const JOBS: usize = 30;

fn main() {
    if child::is_server() {
        return serve();
    }
    let servers = child::start(1);
    let origin = servers.origins[0].clone();

    let mut cfg = Config::defaults();
    cfg.fetch.allow_private_targets = true;
    cfg.politeness.delay = Duration::ZERO;
    let (peak_rss, peak_pss, peak_own) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    // The system's view: how far MemAvailable fell below where it was.
    let available_before = kib_of("/proc/meminfo", "MemAvailable:");
    let lowest_available = Arc::new(AtomicU64::new(available_before));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (rss, pss, own, done, low) = (
            peak_rss.clone(),
            peak_pss.clone(),
            peak_own.clone(),
            done.clone(),
            lowest_available.clone(),
        );
        std::thread::spawn(move || {
            let me = std::process::id();
            let marker = format!("scoutly-chromium-{me}.");
            while !done.load(Ordering::Relaxed) {
                let mut pids = vec![me];
                pids.extend(chromium_pids(&marker));
                let r: u64 = pids.iter().map(|p| kib(*p, "status", "VmRSS:")).sum();
                let p: u64 = pids.iter().map(|p| kib(*p, "smaps_rollup", "Pss:")).sum();
                rss.fetch_max(r, Ordering::Relaxed);
                pss.fetch_max(p, Ordering::Relaxed);
                own.fetch_max(kib(me, "status", "VmRSS:"), Ordering::Relaxed);
                low.fetch_min(kib_of("/proc/meminfo", "MemAvailable:"), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let rt = child::runtime();
    let (first, rest, links) = rt.block_on(async {
        let fetcher = Fetcher::new(&cfg).unwrap();
        let filter = LinkFilter::default();
        let mut times = Vec::new();
        let mut links = 0;
        for n in 0..PAGES {
            let url = url::Url::parse(&format!("{origin}/spa/{n}")).unwrap();
            let t = Instant::now();
            let page = fetcher.render(&url).await.unwrap();
            times.push(t.elapsed().as_secs_f64());
            let found = extract::job_links(&page.body, &page.url, &filter).unwrap();
            assert_eq!(found.jobs.len(), JOBS, "page {n}");
            links += found.jobs.len();
        }
        fetcher.close_browser().await;
        (times[0], times[1..].to_vec(), links)
    });
    done.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    drop(servers);
    let mean = rest.iter().sum::<f64>() / rest.len() as f64;
    let mut sorted = rest.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "browser: {PAGES} pages, {links} job links: first page (with launch) {first:.2} s; then mean {mean:.3} s, median {:.3} s, max {:.3} s per page",
        sorted[sorted.len() / 2],
        sorted[sorted.len() - 1]
    );
    let mib = |k: &AtomicU64| k.load(Ordering::Relaxed) as f64 / 1024.0;
    println!(
        "browser: peak memory, this process + Chromium: RSS sum {:.0} MiB, PSS sum {:.0} MiB (this process alone: {:.0} MiB RSS)",
        mib(&peak_rss),
        mib(&peak_pss),
        mib(&peak_own)
    );
    println!(
        "browser: MemAvailable fell by at most {:.0} MiB during the run",
        (available_before - lowest_available.load(Ordering::Relaxed)) as f64 / 1024.0
    );
}

fn chromium_pids(marker: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(marker))
                .unwrap_or(false)
        })
        .collect()
}

/// A `key: N kB` line of `/proc/<pid>/<file>`, in KiB (0 when gone).
fn kib(pid: u32, file: &str, key: &str) -> u64 {
    kib_of(&format!("/proc/{pid}/{file}"), key)
}

fn kib_of(path: &str, key: &str) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// The JavaScript-built pages; prints the origin, exits when stdin closes.
fn serve() {
    let rt = child::runtime();
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new()
            .route(
                "/robots.txt",
                axum::routing::get(|| async { axum::http::StatusCode::NOT_FOUND }),
            )
            .route(
                "/spa/app.js",
                axum::routing::get(|| async {
                    (
                        [("content-type", "text/javascript")],
                        r#"const n = location.pathname.split("/").pop();
fetch("/spa/" + n + "/jobs.json").then(r => r.json()).then(jobs => {
  const ul = document.createElement("ul");
  for (const j of jobs) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = "/jobs/" + j.id + "-" + j.slug; a.textContent = j.title;
    li.appendChild(a); ul.appendChild(li);
  }
  document.getElementById("root").appendChild(ul);
});"#,
                    )
                }),
            )
            .route(
                "/spa/{n}/jobs.json",
                axum::routing::get(
                    |axum::extract::Path(n): axum::extract::Path<usize>| async move {
                        let jobs: Vec<serde_json::Value> = (0..JOBS)
                        .map(|j| {
                            serde_json::json!({"id": n * 1000 + j, "slug": format!("engineer-{j}"),
                                "title": format!("Software Engineer {j}")})
                        })
                        .collect();
                        axum::Json(jobs)
                    },
                ),
            )
            .route(
                "/spa/{n}",
                axum::routing::get(|| async {
                    axum::response::Html(
                        r#"<!doctype html><html><head><title>Careers</title>
<link rel="stylesheet" href="/assets/site.css"></head><body>
<img src="/assets/hero.jpg"><div id="root"></div>
<noscript>This site needs JavaScript.</noscript>
<script src="/spa/app.js"></script></body></html>"#,
                    )
                }),
            );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        println!("{origin}");
        child::serve_until_parent_goes().await;
    });
}
