//! The chaos benchmark's environment parts: a disk that fills up and a wall
//! clock that jumps, each on a busy appliance watching a small farm.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::common::Appliance;
use super::common::disk::SmallDisk;
use super::common::hook::Hook;
use super::farm::Farm;

fn completed(app: &Appliance) -> u64 {
    let (_, v) = app.http("GET", "/status", None, None);
    v["queue"]["completed"].as_u64().unwrap_or(0)
}

fn alive(app: &Appliance) -> bool {
    unsafe { libc::kill(app.pid() as i32, 0) == 0 }
}

/// Poll `check` every 200 ms for up to `secs`; whether it held.
fn within(secs: u64, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if check() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The file opens, no posting is stored twice and the status counts agree
/// with the job records; a one-line summary.
fn check_file(app: &Appliance) -> String {
    let jobs: Vec<Value> = app
        .json(&["jobs", "list", "--limit", "100000"])
        .as_array()
        .cloned()
        .unwrap();
    let urls = super::common::posting_keys(&app.json(&["postings", "--all", "--limit", "100000"]));
    let unique: std::collections::HashSet<_> = urls.iter().collect();
    assert_eq!(unique.len(), urls.len(), "a posting was stored twice");
    let running = jobs.iter().filter(|j| j["status"] == "in_progress").count();
    assert_eq!(running, 0, "jobs left running after a clean stop");
    format!(
        "the file opens; {} jobs, {} postings, none twice, none left running",
        jobs.len(),
        urls.len()
    )
}

pub fn full_disk() {
    let mib = 48;
    let Some(disk) = SmallDisk::mount(mib) else {
        println!("full disk: skipped (mounting a tmpfs needs root)");
        return;
    };
    let farm = Farm::start(10);
    let hook = Hook::start();
    let data = disk.path().join("data");
    let mut app = super::appliance(
        &farm,
        &hook,
        "[readiness]\nmin_free_disk = \"4MiB\"\n",
        Some(&data),
    );
    app.start();
    assert!(
        within(60, || completed(&app) >= 20),
        "no work before the disk filled"
    );
    let (code, _) = app.http("GET", "/readyz", None, None);
    assert_eq!(code, 200, "ready before the disk fills");
    let filler = disk.fill();
    let full_at = Instant::now();
    let mut reason = String::new();
    let not_ready = within(20, || {
        let (code, v) = app.http("GET", "/readyz", None, None);
        reason = v.to_string();
        code == 503
    });
    let unready_secs = full_at.elapsed().as_secs_f64();
    let before = completed(&app);
    std::thread::sleep(Duration::from_secs(15)); // the appliance works on a full disk for a while
    let survived = alive(&app);
    let during = completed(&app).saturating_sub(before);
    let log_full = app.log();
    std::fs::remove_file(&filler).unwrap();
    let freed = Instant::now();
    if !survived {
        println!("  the appliance exited while the disk was full; restarting it");
        app.kill();
        app.start();
    }
    let ready_again = within(60, || app.http("GET", "/readyz", None, None).0 == 200);
    let ready_secs = freed.elapsed().as_secs_f64();
    let base = completed(&app);
    let resumed = within(60, || completed(&app) >= base + 10);
    let resumed_secs = freed.elapsed().as_secs_f64();
    app.wait_for_flush();
    assert_eq!(app.stop(), 0);
    let summary = check_file(&app);
    let errors = log_full
        .lines()
        .filter(|l| l.contains("ERROR") || l.contains("WARN"))
        .count();
    let sample = log_full
        .lines()
        .rfind(|l| l.contains("space"))
        .unwrap_or("")
        .chars()
        .take(300)
        .collect::<String>();
    println!(
        "full disk ({} MiB tmpfs as the data directory, 10 sites due every 2 s):",
        mib
    );
    println!(
        "  /readyz 503 {unready_secs:.1} s after the disk filled: {not_ready}; reason: {reason}"
    );
    println!(
        "  the process stayed up through 15 s of full disk: {survived}; jobs completed meanwhile: {during}; warnings and errors logged: {errors}"
    );
    println!("  last log line about space: {sample}");
    println!(
        "  after the filler was removed: ready again {ready_again} ({ready_secs:.1} s), 10 more jobs completed {resumed} ({resumed_secs:.1} s)"
    );
    println!("  {summary}");
    assert!(
        not_ready && ready_again && resumed,
        "the full-disk run did not go as it should"
    );
}

fn faketime_lib() -> Option<String> {
    [
        "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
        "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists())
    .map(String::from)
}

pub fn clock_jumps() {
    let Some(lib) = faketime_lib() else {
        println!("clock jumps: skipped (install Debian's faketime)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let offset = dir.path().join("offset");
    std::fs::write(&offset, "+0\n").unwrap();
    let farm = Farm::start(10);
    let hook = Hook::start();
    let mut app = super::appliance(&farm, &hook, "", None);
    // Only the wall clock moves; timers run on the monotonic clock.
    for (k, v) in [
        ("LD_PRELOAD", lib.as_str()),
        ("FAKETIME_TIMESTAMP_FILE", offset.to_str().unwrap()),
        ("FAKETIME_NO_CACHE", "1"),
        ("FAKETIME_DONT_FAKE_MONOTONIC", "1"),
    ] {
        app.env.push((k.into(), v.into()));
    }
    app.start();
    assert!(
        within(60, || completed(&app) >= 20),
        "no work before the jumps"
    );
    println!("wall-clock jumps (libfaketime, 10 sites due every 2 s):");
    for (label, to) in [
        ("forward a day", "+1d"),
        ("back 26 hours (to 2 h before the real time)", "-2h"),
        ("forward to the real time", "+0"),
    ] {
        std::fs::write(&offset, format!("{to}\n")).unwrap();
        let at = Instant::now();
        let base = completed(&app);
        let resumed = within(60, || completed(&app) >= base + 10);
        let secs = at.elapsed().as_secs_f64();
        let (code, ready) = app.http("GET", "/readyz", None, None);
        println!(
            "  {label}: 10 more jobs completed {resumed} ({secs:.1} s); alive {}; /readyz {code} {}",
            alive(&app),
            if code == 200 {
                String::new()
            } else {
                ready.to_string()
            }
        );
    }
    app.wait_for_flush();
    assert_eq!(app.stop(), 0);
    let panics = app.log().matches("panicked").count();
    println!("  {}; panics logged: {panics}", check_file(&app));
}
