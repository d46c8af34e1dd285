//! End-to-end harness on the real `scoutly` binary (release build):
//!
//! 1. idle RSS of `scoutly run` with 10,000 companies, 1,000 users and 100,000
//!    preferences loaded (all recently scraped, so nothing is due), and its
//!    idle CPU over 30 s;
//! 2. CPU seconds and peak RSS for one round of 200 careers pages of ~100 KB
//!    each, served by fixture hosts on 127.0.0.1-127.0.0.20.
//!
//! `cargo bench --bench appliance`

use std::time::{Duration, Instant};

use scoutly::model::{Role, Timestamp};
use scoutly::store::Store;

#[path = "binary.rs"]
mod binary;
#[path = "pages.rs"]
mod pages;

use binary::{completed, cpu_seconds, proc_status, runtime_dir, start, stop, write_bytes};
#[path = "seed.rs"]
mod seed;

fn idle_rss() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    {
        let s = Store::open(&dir.path().join("data/scoutly.redb")).unwrap();
        let now = Timestamp::from_millis(chrono::Utc::now().timestamp_millis());
        let size = seed::Size {
            companies: 10_000,
            users: 1_000,
            prefs_per_user: 100,
        };
        seed::seed(&s, size, now, Some(now));
    }
    // Default settings: a pass a minute, status files every 5 s.
    let child = start(dir.path(), "");
    let pid = child.id();
    std::thread::sleep(Duration::from_secs(12));
    let rss = proc_status(pid, "VmRSS:");
    let hwm = proc_status(pid, "VmHWM:");
    let cpu = cpu_seconds(pid);
    // Idle upkeep: the resource sampler every 2 s and its event-loop probe,
    // status files every 5 s, a scheduler pass a minute.
    let idle = Duration::from_secs(30);
    std::thread::sleep(idle);
    let upkeep = cpu_seconds(pid) - cpu;
    stop(child);
    println!("idle, 10,000 companies / 1,000 users / 100,000 preferences:");
    println!(
        "  RSS after 12 s: {:.1} MiB (peak {:.1} MiB), CPU used so far {cpu:.2} s",
        rss as f64 / 1024.0,
        hwm as f64 / 1024.0
    );
    println!(
        "  idle CPU over the next {} s: {upkeep:.2} s = {:.2} % of one core",
        idle.as_secs(),
        upkeep / idle.as_secs_f64() * 100.0
    );
}

fn round_of_200() {
    const HOSTS: usize = 20;
    const PER_HOST: usize = 10;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let origins = binary::serve_hosts(&rt, HOSTS, 100 * 1024);
    let dir = tempfile::tempdir().unwrap();
    binary::seed_farm(dir.path(), &origins, PER_HOST, Role::User, "x");
    // Every company is due again 30 s after its last scrape, so a second
    // round follows in which nothing is new.
    let config = "[scheduler]\npass_interval = \"1s\"\n[fetch]\nallow_private_targets = true\n[politeness]\ndelay = \"50ms\"\n[status]\nwrite_interval = \"1s\"\n[[schedule.bands]]\nranks = \"1-100\"\ninterval = \"30s\"\n";
    let started = Instant::now();
    let child = start(dir.path(), config);
    let pid = child.id();
    let cpu_at_start = cpu_seconds(pid);
    while completed(dir.path()) < (HOSTS * PER_HOST) as u64 {
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "round did not finish"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let wall = started.elapsed();
    let cpu = cpu_seconds(pid);
    let hwm = proc_status(pid, "VmHWM:");
    // Round two: the same 200 pages, nothing new. Bytes written from after
    // round one's last flush (`store.flush_interval`, 10 s by default) until
    // round two's progress has been flushed too.
    std::thread::sleep(Duration::from_secs(11));
    assert!(
        completed(dir.path()) == (HOSTS * PER_HOST) as u64,
        "round two began before round one was flushed"
    );
    let written_before = write_bytes(pid);
    let second = Instant::now();
    while completed(dir.path()) < 2 * (HOSTS * PER_HOST) as u64 {
        assert!(
            second.elapsed() < Duration::from_secs(300),
            "second round did not finish"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let round_two = second.elapsed();
    std::thread::sleep(Duration::from_secs(11));
    let written = write_bytes(pid) - written_before;
    stop(child);
    println!(
        "one round of {} pages of ~100 KB on {HOSTS} loopback hosts:",
        HOSTS * PER_HOST
    );
    println!(
        "  CPU {cpu:.2} s in all ({:.2} s after start-up), peak RSS {:.1} MiB, wall {:.1} s",
        cpu - cpu_at_start,
        hwm as f64 / 1024.0,
        wall.as_secs_f64()
    );
    println!(
        "  second round, nothing new: {:.0} KB written to storage by the appliance \
         (through its next flush), round wall {:.1} s",
        written as f64 / 1000.0,
        round_two.as_secs_f64()
    );
    std::fs::remove_dir_all(runtime_dir(dir.path())).ok();
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this too,
    // so do nothing unless asked to benchmark.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    idle_rss();
    round_of_200();
}
