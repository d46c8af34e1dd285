//! Chaos on the real binary: a busy queue (40 companies due every second,
//! postings appearing between rounds) killed with SIGKILL at pseudo-random
//! instants, 30 times (`SCOUTLY_CHAOS_ROUNDS` for more). After every kill
//! the file opens; at the end no posting exists twice, every posting belongs
//! to a completed job, and the job counts agree with the job records.

mod common;

use std::collections::HashSet;
use std::os::unix::process::CommandExt;
use std::time::Duration;

use common::Appliance;
use common::disk::SmallDisk;
use common::site::{Site, careers_page};

const COMPANIES: usize = 40;

fn busy_config() -> String {
    let fast = common::FAST_CONFIG.replace(
        "[scheduler]",
        "[[schedule.bands]]\nranks = \"1-100\"\ninterval = \"1s\"\n\n[scheduler]",
    );
    format!("{fast}\n")
}

#[test]
fn thirty_kill_9s_during_a_busy_queue_lose_and_duplicate_nothing() {
    let rounds: usize = std::env::var("SCOUTLY_CHAOS_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let site = Site::start();
    let mut jobs_per_company = vec![2u32; COMPANIES];
    let publish = |site: &Site, jobs: &[u32]| {
        for (c, n) in jobs.iter().enumerate() {
            let list: Vec<(u32, &str)> = (0..*n).map(|k| (k, "Backend Engineer")).collect();
            let path = format!("/c{c}/careers");
            site.set(&path, careers_page(&format!("c{c}"), &list));
            // Slow enough that a kill often lands mid-scrape.
            site.set_delay(&path, Duration::from_millis(150));
        }
    };
    publish(&site, &jobs_per_company);
    let mut app = Appliance::with_config(&busy_config());
    for c in 0..COMPANIES {
        app.add_company(&format!("c{c}"), &site.url(&format!("/c{c}/careers")));
    }
    // A fixed pseudo-random sequence of kill instants (xorshift).
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..rounds {
        app.start();
        std::thread::sleep(Duration::from_millis(50 + next() % 400)); // the chaos: when to pull the plug
        app.kill();
        // The file opens after every kill (the CLI reads it directly).
        let out = app.cli(&["jobs", "list", "--limit", "1", "--json"]);
        assert_eq!(
            out.code, 0,
            "round {round}: database does not open: {}",
            out.stderr
        );
        // New postings appear on some sites between rounds.
        let c = (next() % COMPANIES as u64) as usize;
        jobs_per_company[c] += 1;
        publish(&site, &jobs_per_company);
    }
    // A clean run to the end.
    app.start();
    app.wait_until("a few more rounds of work", || {
        app.jobs("completed").len() >= COMPANIES
    });
    assert_eq!(app.stop(), 0);

    let postings = app.json(&["postings", "--all", "--limit", "10000"]);
    let keys = common::posting_keys(&postings);
    let postings = postings.as_array().unwrap();
    let unique: HashSet<&(u64, String)> = keys.iter().collect();
    assert_eq!(unique.len(), keys.len(), "a posting was recorded twice");
    let completed: HashSet<u64> = app
        .jobs("completed")
        .iter()
        .map(|j| j["id"].as_u64().unwrap())
        .collect();
    let all_jobs = app.json(&["jobs", "list", "--limit", "10000"]);
    for p in postings {
        let job = p["jobId"].as_u64().unwrap();
        let status = all_jobs
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["id"] == job)
            .map(|j| j["status"].clone());
        assert_eq!(
            status,
            Some("completed".into()),
            "posting {p} committed without its job completing"
        );
    }
    assert!(!completed.is_empty());
    let status = app.json(&["status"]);
    let count = |s: &str| {
        all_jobs
            .as_array()
            .unwrap()
            .iter()
            .filter(|j| j["status"] == s)
            .count() as u64
    };
    for (key, s) in [
        ("completed", "completed"),
        ("failed", "failed"),
        ("cancelled", "cancelled"),
        ("pending", "pending"),
        ("inProgress", "in_progress"),
    ] {
        assert_eq!(
            status["queue"][key].as_u64().unwrap(),
            count(s),
            "{key} count"
        );
    }
    assert_eq!(
        count("in_progress"),
        0,
        "nothing left running after a clean stop"
    );
    // The kills landed on work in flight, not only on idle moments.
    let rescues = app
        .log()
        .matches("returned jobs left running by a previous process")
        .count();
    eprintln!(
        "{rounds} kills: {rescues} restarts rescued running jobs; {} jobs, {} postings",
        all_jobs.as_array().unwrap().len(),
        postings.len()
    );
    assert!(
        rescues >= rounds / 4,
        "only {rescues} of {rounds} kills hit running jobs"
    );
    let seen: HashSet<u64> = keys.iter().map(|k| k.0).collect();
    assert_eq!(seen.len(), COMPANIES, "every company got its baseline");
}

#[test]
fn a_full_disk_makes_the_appliance_unready_and_it_recovers_when_space_returns() {
    let disk = SmallDisk::mount(16).expect("mounting a tmpfs for the full-disk test needs root");
    let site = Site::start();
    site.set(
        "/acme/careers",
        careers_page("acme", &[(1, "Backend Engineer")]),
    );
    let mut app = Appliance::with_config(&format!(
        "{}\n[readiness]\nmin_free_disk = \"2MiB\"\n",
        busy_config()
    ));
    let data = disk.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::os::unix::fs::symlink(&data, app.data_dir()).unwrap();
    app.add_company("Acme", &site.url("/acme/careers"));
    app.start();
    let completed = |app: &Appliance| {
        app.http("GET", "/status", None, None).1["queue"]["completed"]
            .as_u64()
            .unwrap_or(0)
    };
    app.wait_until("work before the disk fills", || completed(&app) >= 3);
    assert_eq!(app.http("GET", "/readyz", None, None).0, 200);

    let filler = disk.fill();
    app.wait_until("/readyz to answer 503", || {
        app.http("GET", "/readyz", None, None).0 == 503
    });
    let (_, why) = app.http("GET", "/readyz", None, None);
    assert!(
        why.to_string().contains("free on the data directory"),
        "the reason names the disk: {why}"
    );
    // A commit fails for lack of space; after that redb refuses every
    // transaction on that handle ("previous I/O error") until it is closed
    // and opened again, which the appliance does once space returns.
    app.wait_until("a commit to fail for lack of space", || {
        app.log().contains("Previous I/O error")
    });

    std::fs::remove_file(filler).unwrap();
    app.wait_until("/readyz to answer 200 again", || {
        app.http("GET", "/readyz", None, None).0 == 200
    });
    let before = completed(&app);
    app.wait_until("work to resume", || completed(&app) >= before + 3);
    site.set(
        "/acme/careers",
        careers_page("acme", &[(1, "Backend Engineer"), (2, "Data Analyst")]),
    );
    app.wait_until("the new posting", || {
        app.json(&["postings", "--limit", "10"])
            .as_array()
            .is_some_and(|p| !p.is_empty())
    });
    assert_eq!(app.stop(), 0);
    let out = app.cli(&["jobs", "list", "--limit", "1", "--json"]);
    assert_eq!(out.code, 0, "the file opens: {}", out.stderr);
}

#[test]
fn a_restart_ends_the_chromium_a_killed_appliance_left_running() {
    // Chromium outlives an appliance killed with SIGKILL. Stand-ins with
    // the command line such a Chromium has (its profile named after a pid
    // that no longer runs, or after a live pid that started at another
    // time) must be ended, and their profiles removed, when the appliance
    // starts; one whose owner is alive is left alone.
    let tmp = tempfile::tempdir().unwrap();
    let spawn = |owner: String| {
        let profile = tmp.path().join(format!("scoutly-chromium-{owner}-0-00ff"));
        std::fs::create_dir(&profile).unwrap();
        let child = std::process::Command::new("bash")
            .args(["-c", "sleep 600; exit 0", "chromium"])
            .arg(format!("--user-data-dir={}", profile.display()))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
        (child, profile)
    };
    let mut dead_owner = std::process::Command::new("true").spawn().unwrap();
    let gone = dead_owner.id();
    dead_owner.wait().unwrap();
    // A profile names its owner by pid and start time (clock ticks since
    // boot, field 22 of /proc/PID/stat): a pid given out again to a
    // process that started later is not the owner.
    let me = std::process::id();
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let start: u64 = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .nth(19)
        .unwrap()
        .parse()
        .unwrap();
    let mut orphans = vec![
        spawn(gone.to_string()),
        spawn(format!("{me}.{}", start + 1)),
    ];
    let (mut kept, kept_profile) = spawn(format!("{me}.{start}"));
    let mut app = Appliance::new();
    app.env
        .push(("TMPDIR".into(), tmp.path().to_str().unwrap().into()));
    app.start();
    for (orphan, profile) in &mut orphans {
        let status = orphan.wait().unwrap();
        assert!(
            !status.success(),
            "the orphan {profile:?} was ended by a signal"
        );
        assert!(!profile.exists(), "its profile {profile:?} was removed");
    }
    assert!(
        kept.try_wait().unwrap().is_none(),
        "a live appliance's browser was ended"
    );
    assert!(kept_profile.exists());
    assert!(
        app.log()
            .contains("ended headless browsers a previous process left running")
    );
    // Each stand-in's `sleep` too.
    for pid in orphans.iter().map(|(c, _)| c.id()).chain([kept.id()]) {
        unsafe { libc::kill(-(pid as i32), libc::SIGKILL) };
    }
    kept.wait().unwrap();
    assert_eq!(app.stop(), 0, "{}", app.log());
}
