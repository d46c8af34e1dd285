//! Crash safety on the real binary: kill -9 while jobs run, restart, and
//! check that no job is lost, none is duplicated and the file opens.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::Appliance;
use common::site::{Site, careers_page};

#[test]
fn kill_9_during_jobs_then_restart_rescues_and_finishes_them_without_duplicates() {
    let site = Site::start();
    let names = ["alpha", "bravo", "charlie", "delta"];
    for (i, n) in names.iter().enumerate() {
        let path = format!("/{n}/careers");
        let jobs: Vec<(u32, &str)> = (0..5)
            .map(|k| (i as u32 * 10 + k, "Backend Engineer"))
            .collect();
        site.set(&path, careers_page(n, &jobs));
        // Slow pages keep the jobs running when the kill comes.
        site.set_delay(&path, Duration::from_millis(1500));
    }
    let mut app = Appliance::new();
    for n in names {
        app.add_company(n, &site.url(&format!("/{n}/careers")));
    }

    for round in 0..2 {
        app.start();
        app.wait_until("jobs running", || !app.jobs("in_progress").is_empty());
        // Claims commit lazily: wait until they are on disk.
        app.wait_for_flush();
        app.kill();
        // The socket is stale now: the CLI must notice and open the file itself.
        let left_running = app.jobs("in_progress");
        assert!(
            !left_running.is_empty(),
            "round {round}: killed with jobs running"
        );
    }
    for n in names {
        site.set_delay(&format!("/{n}/careers"), Duration::ZERO);
    }
    app.start();
    app.wait_until("all companies scraped", || {
        app.jobs("completed").len() == names.len()
    });
    assert!(app.jobs("in_progress").is_empty());
    assert!(app.jobs("pending").is_empty());
    let completed = app.jobs("completed");
    assert!(
        completed
            .iter()
            .any(|j| j["attempt"].as_u64().unwrap() >= 2),
        "interrupted attempts are counted"
    );
    assert!(
        app.log()
            .contains("returned jobs left running by a previous process to pending")
    );
    assert_eq!(app.stop(), 0);

    let postings = app.json(&["postings", "--all", "--limit", "1000"]);
    let urls: Vec<&str> = postings
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["url"].as_str().unwrap())
        .collect();
    let unique: HashSet<&str> = urls.iter().copied().collect();
    assert_eq!(urls.len(), 20, "5 links x 4 companies: {postings}");
    assert_eq!(unique.len(), urls.len(), "no posting recorded twice");
}

#[test]
fn sigterm_releases_an_unfinished_job_within_the_grace_period() {
    let site = Site::start();
    site.set(
        "/slow/careers",
        careers_page("slow", &[(1, "Backend Engineer")]),
    );
    site.set_delay("/slow/careers", Duration::from_secs(10));
    let mut app = Appliance::with_config(
        &common::FAST_CONFIG.replace("shutdown_grace = \"2s\"", "shutdown_grace = \"300ms\""),
    );
    app.add_company("Slow", &site.url("/slow/careers"));
    app.start();
    app.wait_until("job running", || !app.jobs("in_progress").is_empty());
    let begun = std::time::Instant::now();
    assert_eq!(app.stop(), 0);
    assert!(
        begun.elapsed() < Duration::from_secs(5),
        "stopped within the grace period plus a margin"
    );
    let pending = app.jobs("pending");
    assert_eq!(pending.len(), 1, "the job went back to pending");
    assert_eq!(
        pending[0]["attempt"], 0,
        "a released attempt is not counted"
    );
    assert!(app.log().contains("job lease released"));
}

#[test]
fn a_sigterm_as_soon_as_the_appliance_says_it_runs_stops_it_cleanly() {
    // The signal handlers are in place before the status line is printed:
    // a SIGTERM sent the moment it appears must not end the process by
    // the signal's default action (exit by signal, no shutdown).
    // Forty rounds (about 2 s): the window was a few microseconds wide and
    // one round in forty or so hit it.
    let mut app = Appliance::new();
    for round in 0..40 {
        app.start();
        assert_eq!(app.stop(), 0, "round {round}: {}", app.log());
    }
    assert_eq!(
        app.log().matches("shutting down: no new jobs").count(),
        40,
        "each stop went through the shutdown"
    );
}

#[test]
fn cancelling_a_running_job_stops_it_at_its_next_step_and_commits_nothing() {
    let site = Site::start();
    let pages = 6;
    for p in 1..=pages {
        let path = if p == 1 {
            "/slow/careers".to_string()
        } else {
            format!("/slow/careers/p{p}")
        };
        let body = careers_page("slow", &[(p * 10, "Backend Engineer")]).replace(
            "</body>",
            &format!(
                "<a rel=\"next\" href=\"/slow/careers/p{}\">Next</a></body>",
                p + 1
            ),
        );
        site.set(&path, body);
        site.set_delay(&path, Duration::from_millis(700));
    }
    // A production-like lease: noticing the cancel must not wait for a lease renewal.
    let mut app =
        Appliance::with_config(&common::FAST_CONFIG.replace("lease = \"3s\"", "lease = \"5m\""));
    app.start();
    app.add_company("Slow", &site.url("/slow/careers"));
    app.wait_until("first page fetched", || site.hits("/slow/careers") == 1);
    let job = app.jobs("in_progress")[0]["id"].as_u64().unwrap();
    let cancelled = app.json(&["jobs", "cancel", &job.to_string()]);
    assert_eq!(cancelled["status"], "cancelled");
    app.wait_until("the worker to let go", || {
        app.log().contains("results discarded")
    });
    let fetched: usize = (2..=pages)
        .map(|p| site.hits(&format!("/slow/careers/p{p}")))
        .sum::<usize>()
        + 1;
    assert!(
        fetched < pages as usize,
        "stopped early: fetched {fetched} of {pages} pages"
    );
    assert_eq!(
        app.json(&["postings", "--all"]).as_array().unwrap().len(),
        0,
        "nothing committed"
    );
    assert_eq!(app.jobs("cancelled").len(), 1);
    assert_eq!(app.stop(), 0);
}

#[test]
fn a_paginated_job_killed_midway_resumes_from_its_checkpoint_without_double_counting() {
    let site = Site::start();
    let pages = 5u32;
    let path = |p: u32| {
        if p == 1 {
            "/long/careers".to_string()
        } else {
            format!("/long/careers/p{p}")
        }
    };
    for p in 1..=pages {
        let jobs = [(p * 10, "Backend Engineer"), (p * 10 + 1, "Data Engineer")];
        let mut body = careers_page("long", &jobs);
        if p < pages {
            body = body.replace(
                "</body>",
                &format!("<a rel=\"next\" href=\"{}\">Next</a></body>", path(p + 1)),
            );
        }
        site.set(&path(p), body);
    }
    // The third page hangs, so the kill finds the job there.
    site.set_delay(&path(3), Duration::from_secs(30));
    let mut app = Appliance::with_config(
        &common::FAST_CONFIG.replace("[workers]\n", "[workers]\nprogress_interval = \"50ms\"\n"),
    );
    app.add_company("Long", &site.url(&path(1)));
    app.start();
    // Counters and checkpoint are written in one transaction: two pages
    // recorded means the checkpoint after page 2 is on disk.
    app.wait_until("two pages checkpointed", || {
        app.jobs("in_progress")
            .first()
            .is_some_and(|j| j["pages"] == 2)
            && site.hits(&path(3)) == 1
    });
    // Heartbeats commit lazily: wait until the checkpoint is on disk.
    app.wait_for_flush();
    app.kill();
    site.set_delay(&path(3), Duration::ZERO);
    app.start();
    app.wait_until("the job to finish", || app.jobs("completed").len() == 1);
    let job = &app.jobs("completed")[0];
    assert_eq!(
        job["attempt"], 2,
        "the interrupted attempt is counted: {job}"
    );
    assert_eq!(job["pages"], pages, "pages over both attempts: {job}");
    assert_eq!(job["linksFound"], 2 * pages, "{job}");
    assert!(app.log().contains("resuming from the checkpoint"));
    assert_eq!(app.stop(), 0);

    assert_eq!(site.hits(&path(1)), 1, "page 1 was not fetched again");
    assert_eq!(site.hits(&path(2)), 1, "page 2 was not fetched again");
    assert_eq!(
        site.hits(&path(3)),
        2,
        "the page in flight is fetched again"
    );
    for p in 4..=pages {
        assert_eq!(site.hits(&path(p)), 1);
    }
    let postings = app.json(&["postings", "--all", "--limit", "1000"]);
    let urls: HashSet<&str> = postings
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["url"].as_str().unwrap())
        .collect();
    assert_eq!(postings.as_array().unwrap().len(), 2 * pages as usize);
    assert_eq!(urls.len(), 2 * pages as usize, "no link counted twice");
}
