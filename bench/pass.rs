//! One scheduler pass over 100,000 companies, 10,000 users and 1,000,000
//! preferences in a real redb file: time and peak RSS.
//!
//! `cargo bench --bench pass`
//!
//! The file is seeded first; the pass then runs in a fresh process (this
//! binary again, with `--measure`), so its peak RSS (`VmHWM`) is the pass's
//! own: opening the file, reading every company, planning, enqueueing.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use scoutly::config::standard_bands;
use scoutly::model::{JobSource, Timestamp};
use scoutly::scheduler::{PassSettings, RankPolicy, run_pass};
use scoutly::store::Store;

const COMPANIES: u64 = 100_000;
const USERS: u64 = 10_000;
const PREFS_PER_USER: u64 = 100;
const NOW: Timestamp = Timestamp::from_millis(1_767_225_600_000);

#[path = "seed.rs"]
mod seed;

const SIZE: seed::Size = seed::Size {
    companies: COMPANIES,
    users: USERS,
    prefs_per_user: PREFS_PER_USER,
};

fn measure(path: &Path) {
    let store = Store::open(path).unwrap();
    let settings = PassSettings {
        policy: RankPolicy::new(&standard_bands()),
        max_attempts: 3,
        pass_interval: Duration::from_secs(60),
        max_enqueue: 1000,
        inactive_user_after: None,
        judge_activity: false,
        duration_order: true,
        cron: Vec::new(),
    };
    let t = Instant::now();
    let report = run_pass(&store, NOW, &settings, JobSource::Scheduled).unwrap();
    let took = t.elapsed();
    store.flush().unwrap();
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let hwm = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .map(|v| v.trim().to_string())
        .unwrap_or_default();
    println!(
        "  pass: {} companies considered, {} due, {} enqueued in {:.0} ms; process peak RSS {hwm}",
        report.considered,
        report.due,
        report.enqueued,
        took.as_secs_f64() * 1e3
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--measure") {
        measure(Path::new(&args[i + 1]));
        return;
    }
    if !args.iter().any(|a| a == "--bench") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (name, scraped) in [
        (
            "nothing due (all scraped an hour ago)",
            Some(NOW.minus(Duration::from_secs(3600))),
        ),
        ("every company due (never scraped)", None),
    ] {
        let path = dir.path().join(format!("{}.redb", scraped.is_some()));
        let t = Instant::now();
        seed::seed(&Store::open(&path).unwrap(), SIZE, NOW, scraped);
        println!(
            "{name}: seeded {COMPANIES} companies, {USERS} users, {} preferences in {:.0} s, file {:.0} MiB",
            USERS * PREFS_PER_USER,
            t.elapsed().as_secs_f64(),
            std::fs::metadata(&path).unwrap().len() as f64 / (1024.0 * 1024.0)
        );
        let out = Command::new(std::env::current_exe().unwrap())
            .arg("--measure")
            .arg(&path)
            .output()
            .unwrap();
        print!("{}", String::from_utf8_lossy(&out.stdout));
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
    }
}
