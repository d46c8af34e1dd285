//! The HTTP server under load while the workers are busy, on the real
//! binary: `wrk` (Debian's package) in a second process hits `/healthz`
//! and `/api/scraping/active` for 15 s each while 200 companies on 20
//! loopback hosts are scraped over and over at `workers.max_concurrency`
//! 5; worker throughput is counted in each window and in one without load.
//!
//! Then `/healthz` at a fixed 5,000 requests/s and `/api/scraping/active`
//! at 1,000 and 5,000 from an open-loop
//! generator (`openloop.rs`, threads in this process, not the appliance's),
//! whose latencies count from when each request was due.
//!
//! `cargo bench --bench http` (needs `wrk`: `apt-get install wrk`)

use std::process::Command;
use std::time::{Duration, Instant};

use scoutly::model::Role;

#[path = "binary.rs"]
mod binary;
#[path = "cpu.rs"]
mod cpu;
#[path = "openloop.rs"]
mod openloop;
#[path = "pages.rs"]
mod pages;

const HOSTS: usize = 20;
const PER_HOST: usize = 10;
const WINDOW: Duration = Duration::from_secs(15);
/// The open-loop generator's connections.
const CONNS: usize = 8;

/// `wrk` against `url` for the window: (requests/s, p50 ms, p99 ms, non-2xx).
fn wrk(url: &str, token: Option<&str>) -> (f64, f64, f64, u64) {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t1", "-c16", "--latency", "-d"])
        .arg(format!("{}s", WINDOW.as_secs()));
    if let Some(t) = token {
        cmd.args(["-H", &format!("Authorization: Bearer {t}")]);
    }
    let out = cmd.arg(url).output().expect("wrk (apt-get install wrk)");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let ms = |label: &str| -> f64 {
        let v = text
            .lines()
            .find_map(|l| l.trim().strip_prefix(label))
            .unwrap_or_else(|| panic!("no {label} in wrk's output:\n{text}"))
            .trim()
            .to_string();
        if let Some(us) = v.strip_suffix("us") {
            us.parse::<f64>().unwrap() / 1000.0
        } else if let Some(m) = v.strip_suffix("ms") {
            m.parse().unwrap()
        } else if let Some(s) = v.strip_suffix('s') {
            s.parse::<f64>().unwrap() * 1000.0
        } else {
            panic!("latency {v:?}")
        }
    };
    let rps: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let non_2xx = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Non-2xx or 3xx responses:"))
        .map_or(0, |n| n.trim().parse().unwrap());
    (rps, ms("50%"), ms("99%"), non_2xx)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let origins = binary::serve_hosts(&rt, HOSTS, 20 * 1024);
    let dir = tempfile::tempdir().unwrap();
    let token = "sct_bench_token";
    binary::seed_farm(dir.path(), &origins, PER_HOST, Role::Admin, token);
    // Every company due again a second after its last scrape: the workers
    // never run out of work. No rate limit, so wrk measures the server.
    let config = "[scheduler]\npass_interval = \"1s\"\n[fetch]\nallow_private_targets = true\n\
                  [politeness]\ndelay = \"20ms\"\n[status]\nwrite_interval = \"1s\"\n\
                  [http]\nrate_limit = 1000000\nrate_burst = 1000000\n\
                  [resources]\nadaptive = false\n\
                  [[schedule.bands]]\nranks = \"1-100\"\ninterval = \"1s\"\n";
    let (child, addr) = binary::start_at(dir.path(), config);
    let throughput = |label: &str, load: &dyn Fn()| {
        let before = binary::completed(dir.path());
        let t = Instant::now();
        load();
        let jobs = binary::completed(dir.path()) - before;
        let rate = jobs as f64 / t.elapsed().as_secs_f64();
        println!(
            "  workers {label}: {jobs} jobs in {:.1} s = {rate:.1} jobs/s",
            t.elapsed().as_secs_f64()
        );
        rate
    };
    // Warm up: the first round records baselines.
    std::thread::sleep(Duration::from_secs(10));
    println!("HTTP under load, workers busy (200 companies, 20 hosts, 5 workers):");
    let idle = throughput("without load", &|| std::thread::sleep(WINDOW));
    let health = std::cell::Cell::new((0.0, 0.0, 0.0, 0));
    let with_health = throughput("with wrk on /healthz", &|| {
        health.set(wrk(&format!("http://{addr}/healthz"), None))
    });
    let active = std::cell::Cell::new((0.0, 0.0, 0.0, 0));
    let with_active = throughput("with wrk on /api/scraping/active", &|| {
        active.set(wrk(
            &format!("http://{addr}/api/scraping/active"),
            Some(token),
        ))
    });
    let mut fixed = Vec::new();
    for (path, auth, rate) in [
        ("/healthz", None, 5000.0),
        ("/api/scraping/active", Some(token), 1000.0),
        ("/api/scraping/active", Some(token), 5000.0),
    ] {
        let report = std::cell::RefCell::new(None);
        let with = throughput(&format!("with {rate:.0} req/s on {path}"), &|| {
            *report.borrow_mut() = Some(openloop::run(addr, path, auth, rate, CONNS, WINDOW));
        });
        fixed.push((path, rate, report.into_inner().unwrap(), with));
    }
    binary::stop(child);
    for (path, rate, r, with) in &fixed {
        println!(
            "  {path} at a fixed {rate:.0} req/s ({CONNS} connections): {} answered = {:.0}/s, p50 {:.2} ms, p99 {:.2} ms (from sending: {:.2} ms), p99.9 {:.2} ms, max {:.1} ms, {} non-2xx, {} errors, {:.2} % sent late, generator CPU {:.1} s; worker throughput {:+.1} %",
            r.answered,
            r.rate,
            r.p50_ms,
            r.p99_ms,
            r.p99_sent_ms,
            r.p999_ms,
            r.max_ms,
            r.non_2xx,
            r.errors,
            r.late * 100.0,
            r.cpu_secs,
            (with / idle - 1.0) * 100.0
        );
    }
    for (path, (rps, p50, p99, bad), with) in [
        ("/healthz", health.get(), with_health),
        ("/api/scraping/active", active.get(), with_active),
    ] {
        println!(
            "  {path}: {rps:.0} requests/s, p50 {p50:.2} ms, p99 {p99:.2} ms, {bad} non-2xx; worker throughput {:+.1} %",
            (with / idle - 1.0) * 100.0
        );
    }
    std::fs::remove_dir_all(binary::runtime_dir(dir.path())).ok();
}
