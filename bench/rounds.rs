//! Round makespan on a mixed farm, with and without duration-aware
//! ordering (`scheduler.duration_order`), on the real binary.
//!
//! The farm: 30 quick static careers pages (the server answers after
//! 0.6 s, as a busy careers site does), 2 slow ones (8 s) and 3 pages built
//! by JavaScript (companies in `browser` mode, drawn by Debian's
//! `chromium`), each company on its own loopback address so politeness
//! never couples two of them. Four jobs run at once
//! (`workers.max_concurrency = 4`, no resource controller), two browser
//! tabs.
//!
//! A first round teaches the appliance each company's duration. Then
//! `scoutly enqueue` makes every company due in one pass, and the round's
//! makespan is the time from that pass to the end of its last job, read
//! from the job records. Each arrangement of ranks runs with the ordering
//! off and on: slow and browser sites ranked lowest (rank order starts them
//! last), and ranks unrelated to speed.
//!
//! `cargo bench --bench rounds` (needs Debian's `chromium`; about 3
//! minutes; `SCOUTLY_BENCH_RANKS=mixed` runs only the second arrangement).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use scoutly::model::{FetchMode, NewCompany, Rank, Role, Timestamp};
use scoutly::store::{self, Store};

#[path = "binary.rs"]
mod binary;
#[path = "pages.rs"]
mod pages;

const BIN: &str = env!("CARGO_BIN_EXE_scoutly");
const FAST: usize = 30;
const SLOW: usize = 2;
const BROWSER: usize = 3;
const FAST_FOR: Duration = Duration::from_millis(600);
const SLOW_FOR: Duration = Duration::from_secs(8);

#[derive(Clone, Copy)]
enum Kind {
    Fast,
    Slow,
    Browser,
}

struct Site {
    origin: String,
    kind: Kind,
}

const SPA: &str = r#"<!doctype html><html><head><title>Careers</title></head><body>
<div id="root"></div><noscript>This site needs JavaScript.</noscript>
<script>
const ul = document.createElement("ul");
for (let j = 0; j < 30; j++) {
  const li = document.createElement("li");
  const a = document.createElement("a");
  a.href = "/jobs/" + (4000 + j) + "-software-engineer"; a.textContent = "Software Engineer " + j;
  li.appendChild(a); ul.appendChild(li);
}
document.getElementById("root").appendChild(ul);
</script></body></html>"#;

fn serve(rt: &tokio::runtime::Runtime) -> Vec<Site> {
    let kinds = std::iter::repeat_n(Kind::Fast, FAST)
        .chain(std::iter::repeat_n(Kind::Slow, SLOW))
        .chain(std::iter::repeat_n(Kind::Browser, BROWSER));
    kinds
        .enumerate()
        .map(|(i, kind)| {
            let ip = format!("127.0.1.{}", i + 1);
            let listener = rt
                .block_on(tokio::net::TcpListener::bind((ip.as_str(), 0)))
                .unwrap();
            let origin = format!("http://{}", listener.local_addr().unwrap());
            let page = match kind {
                Kind::Browser => SPA.to_string(),
                _ => pages::careers_page(&origin, 20 * 1024),
            };
            let app = axum::Router::new()
                .route(
                    "/robots.txt",
                    axum::routing::get(|| async { axum::http::StatusCode::NOT_FOUND }),
                )
                .fallback(move || {
                    let page = page.clone();
                    async move {
                        match kind {
                            Kind::Fast => tokio::time::sleep(FAST_FOR).await,
                            Kind::Slow => tokio::time::sleep(SLOW_FOR).await,
                            Kind::Browser => {}
                        }
                        axum::response::Html(page)
                    }
                });
            rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
            Site { origin, kind }
        })
        .collect()
}

/// A data directory with one company per site, ranked by `rank`.
fn seed(dir: &Path, sites: &[Site], rank: impl Fn(usize, Kind) -> i64) {
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let s = Store::open(&dir.join("data/scoutly.redb")).unwrap();
    let now = Timestamp::from_millis(chrono::Utc::now().timestamp_millis());
    s.write(|tx| {
        let u = store::insert_user(tx, "bench", Role::User, store::hash_token("x"), now)?;
        for (i, site) in sites.iter().enumerate() {
            let c = store::insert_company(
                tx,
                NewCompany {
                    name: format!("site-{i}"),
                    urls: vec![format!("{}/careers", site.origin)],
                    mode: match site.kind {
                        Kind::Browser => FetchMode::Browser,
                        _ => FetchMode::Http,
                    },
                    include: vec![],
                    exclude: vec![],
                },
                now,
            )?;
            let r = Rank::new(rank(i, site.kind)).unwrap();
            store::track(tx, u.id, c.id, r, now)?;
        }
        Ok(())
    })
    .unwrap();
}

fn cli(dir: &Path, args: &[&str]) -> serde_json::Value {
    let out = Command::new(BIN)
        .args(["--config", dir.join("scoutly.toml").to_str().unwrap()])
        .args(["--data-dir", dir.join("data").to_str().unwrap()])
        .args(args)
        .arg("--json")
        .env("RUNTIME_DIRECTORY", binary::runtime_dir(dir))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn http_status(addr: std::net::SocketAddr) -> serde_json::Value {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    serde_json::from_str(body).unwrap_or_default()
}

/// One run: (makespan of the measured round, the drain estimate /status
/// gave right after the pass).
fn run(sites: &[Site], ordered: bool, rank: impl Fn(usize, Kind) -> i64) -> (Duration, u64) {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path(), sites, rank);
    let total = sites.len() as u64;
    let config = format!(
        "[scheduler]\npass_interval = \"1h\"\nduration_order = {ordered}\n\
         [fetch]\nallow_private_targets = true\n[politeness]\ndelay = \"50ms\"\n\
         [workers]\nmax_concurrency = 4\n[resources]\nadaptive = false\non_battery = \"ignore\"\nwhen_busy = \"ignore\"\n\
         [status]\nwrite_interval = \"1s\"\n\
         [[schedule.bands]]\nranks = \"1-100\"\ninterval = \"1s\"\n"
    );
    let (child, addr) = binary::start_at(dir.path(), &config);
    // Stopped however this run ends, so a failed run leaves no appliance
    // behind.
    let child = Running(Some(child));
    let done = |n: u64| {
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            let status = http_status(addr);
            let q = &status["queue"];
            let finished = q["completed"].as_u64().unwrap_or(0) + q["failed"].as_u64().unwrap_or(0);
            if finished >= n {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the round did not finish: {}",
                serde_json::to_string_pretty(&status).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    done(total);
    // Every company is due a second (its band's interval) after its last
    // success: then one pass makes them all due at once.
    std::thread::sleep(Duration::from_secs(2));
    let pass = cli(dir.path(), &["enqueue"]);
    assert_eq!(pass["enqueued"], total, "{pass}");
    let estimate = http_status(addr)["drain"]["seconds"].as_u64().unwrap_or(0);
    done(2 * total);
    let jobs = cli(dir.path(), &["jobs", "list", "--limit", "1000"]);
    let mut round: Vec<(Timestamp, Timestamp)> = jobs
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| j["status"] == "completed")
        .map(|j| {
            let t = |k: &str| Timestamp::parse_rfc3339(j[k].as_str().unwrap()).unwrap();
            (t("createdAt"), t("completedAt"))
        })
        .collect();
    // Newest half: the measured round.
    round.sort();
    let round = &round[round.len() - total as usize..];
    let start = round.iter().map(|r| r.0).min().unwrap();
    let end = round.iter().map(|r| r.1).max().unwrap();
    drop(child);
    std::fs::remove_dir_all(binary::runtime_dir(dir.path())).ok();
    (end.since(start), estimate)
}

struct Running(Option<std::process::Child>);

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(c) = self.0.take() {
            binary::stop(c);
        }
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sites = serve(&rt);
    println!(
        "farm: {FAST} quick pages ({} s), {SLOW} slow ({} s), {BROWSER} browser; 4 jobs at once, 2 tabs",
        FAST_FOR.as_secs_f64(),
        SLOW_FOR.as_secs()
    );
    let slow_last = |i: usize, kind: Kind| match kind {
        Kind::Fast => 100 - i as i64,
        _ => 1 + (i % 10) as i64,
    };
    // Unrelated to speed: a fixed shuffle of 1-100.
    let mixed = |i: usize, _| ((i * 37 + 11) % 100 + 1) as i64;
    for (name, rank) in [
        (
            "slow and browser sites ranked lowest",
            &slow_last as &dyn Fn(usize, Kind) -> i64,
        ),
        ("ranks unrelated to speed", &mixed),
    ] {
        // SCOUTLY_BENCH_RANKS=mixed runs only the second arrangement.
        if std::env::var("SCOUTLY_BENCH_RANKS").is_ok_and(|v| v == "mixed")
            && name.starts_with("slow")
        {
            continue;
        }
        for ordered in [false, true] {
            let (makespan, estimate) = run(&sites, ordered, rank);
            println!(
                "{name}, {}: round makespan {:.1} s (drain estimate right after the pass: {estimate} s)",
                if ordered {
                    "longest first"
                } else {
                    "rank order"
                },
                makespan.as_secs_f64()
            );
        }
    }
}
