//! Politeness efficiency: how close the fetcher gets to the request rate its
//! courtesy delays allow, across 100 fixture hosts, and what that costs in
//! CPU.
//!
//! The fixture hosts (127.0.0.1-127.0.0.100, one port each) run in a child
//! process (this binary re-executed with `SCOUTLY_BENCH_SERVE=1`), so this
//! process's CPU time is the fetcher's own: pacing, HTTP, robots.txt and
//! link extraction of every page. Two tasks per host ask for pages as fast
//! as they can; the per-host pacer allows one request at a time, each
//! `politeness.delay` × U(0.5, 1.5) after the previous one ended, i.e.
//! 1 / delay requests per second per host on average. Efficiency = pages
//! fetched / (hosts × duration / delay).
//!
//! `cargo bench --bench polite` (`SCOUTLY_BENCH_SECS`, default 60, sets the
//! duration; `SCOUTLY_BENCH_DELAY_MS`, default 1000, the courtesy delay).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use scoutly::config::Config;
use scoutly::extract::{self, LinkFilter};
use scoutly::fetch::Fetcher;

#[path = "child.rs"]
mod child;

#[path = "pages.rs"]
mod pages;

const HOSTS: usize = 100;

fn main() {
    if child::is_server() {
        return serve();
    }
    let secs: u64 = env_num("SCOUTLY_BENCH_SECS", 60);
    let delay = Duration::from_millis(env_num("SCOUTLY_BENCH_DELAY_MS", 1000));
    let servers = child::start(HOSTS);
    let origins = servers.origins.clone();

    let mut cfg = Config::defaults();
    cfg.fetch.allow_private_targets = true;
    cfg.politeness.delay = delay;
    let rt = child::runtime();
    let fetched = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    // Extraction runs synchronously on the runtime's one worker thread, so
    // its wall time is its CPU time.
    let extract_us = Arc::new(AtomicU64::new(0));
    let (cpu0, wall0) = (cpu_seconds(), Instant::now());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    rt.block_on(async {
        let fetcher = Fetcher::new(&cfg).unwrap();
        let filter = LinkFilter::default();
        let mut tasks = Vec::new();
        for (h, origin) in origins.iter().enumerate() {
            for t in 0..2 {
                let (fetcher, filter) = (fetcher.clone(), filter.clone());
                let (fetched, failed) = (fetched.clone(), failed.clone());
                let extract_us = extract_us.clone();
                let origin = origin.clone();
                tasks.push(tokio::spawn(async move {
                    let mut n = 0;
                    while tokio::time::Instant::now() < deadline {
                        let url =
                            url::Url::parse(&format!("{origin}/c{h}/careers?t={t}&n={n}")).unwrap();
                        n += 1;
                        let Ok(Ok(page)) =
                            tokio::time::timeout_at(deadline, fetcher.get(&url)).await
                        else {
                            // A request cut off by the deadline is not counted.
                            if tokio::time::Instant::now() < deadline {
                                failed.fetch_add(1, Ordering::Relaxed);
                            }
                            continue;
                        };
                        let t = Instant::now();
                        let found = extract::job_links(&page.body, &page.url, &filter).unwrap();
                        extract_us.fetch_add(t.elapsed().as_micros() as u64, Ordering::Relaxed);
                        assert!(!found.jobs.is_empty());
                        fetched.fetch_add(1, Ordering::Relaxed);
                    }
                }));
            }
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
    let (cpu, wall) = (cpu_seconds() - cpu0, wall0.elapsed().as_secs_f64());
    drop(servers);
    let got = fetched.load(Ordering::Relaxed);
    let limit = HOSTS as f64 * secs as f64 / delay.as_secs_f64();
    println!(
        "polite: {HOSTS} hosts, delay {} ms (jitter 0.5), {secs} s: {got} pages ({} failed), {:.1} pages/s; limit {:.1}/s; efficiency {:.1}%",
        delay.as_millis(),
        failed.load(Ordering::Relaxed),
        got as f64 / secs as f64,
        limit / secs as f64,
        100.0 * got as f64 / limit
    );
    let extract = extract_us.load(Ordering::Relaxed) as f64 / 1e6;
    println!(
        "polite: fetcher CPU {cpu:.2} s over {wall:.1} s wall = {:.1}% of one core (HTTP, pacing, robots.txt, link extraction); of which link extraction {extract:.2} s, the rest {:.1}% of one core",
        100.0 * cpu / wall,
        100.0 * (cpu - extract) / wall
    );
}

fn env_num(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// This process's user + system CPU seconds.
fn cpu_seconds() -> f64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(ru.ru_utime) + t(ru.ru_stime)
}

/// The fixture hosts: one listener per loopback address, a ~20 KB careers
/// page for every path, no robots.txt (404: no restrictions). Prints each
/// origin on a line; exits when stdin closes.
fn serve() {
    let rt = child::runtime();
    rt.block_on(async {
        for h in 0..HOSTS {
            let ip = format!("127.0.0.{}", h + 1);
            let listener = tokio::net::TcpListener::bind((ip.as_str(), 0))
                .await
                .unwrap();
            let origin = format!("http://{}", listener.local_addr().unwrap());
            let page = pages::careers_page(&origin, 20 * 1024);
            let app = axum::Router::new()
                .route(
                    "/robots.txt",
                    axum::routing::get(|| async { axum::http::StatusCode::NOT_FOUND }),
                )
                .fallback(move || {
                    let page = page.clone();
                    async move { axum::response::Html(page) }
                });
            tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
            println!("{origin}");
        }
        child::serve_until_parent_goes().await;
    });
}
