//! Chaos on the real binary: a busy queue (40 companies due every second,
//! postings appearing between rounds) killed with SIGKILL at pseudo-random
//! instants, 30 times (`SCOUTLY_CHAOS_ROUNDS` for more). After every kill
//! the file opens; at the end no posting exists twice, every posting belongs
//! to a completed job, and the job counts agree with the job records.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::Appliance;
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
    let postings = postings.as_array().unwrap();
    let keys: Vec<(u64, String)> = postings
        .iter()
        .map(|p| {
            (
                p["companyId"].as_u64().unwrap(),
                p["url"].as_str().unwrap().to_string(),
            )
        })
        .collect();
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
