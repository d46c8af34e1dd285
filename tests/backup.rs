//! `scoutly backup` on the real binary: copies taken while jobs run are
//! each one consistent database (counters agree with the records, indexes
//! with the jobs), rotation keeps the newest, no partial copy is left
//! behind, and a backup taken with the appliance stopped holds exactly
//! what the live database holds.

mod common;

use std::path::{Path, PathBuf};

use common::site::{Site, careers_page};
use common::{Appliance, FAST_CONFIG};
use scoutly::model::JobStatus;
use scoutly::queue::{self, JobFilter};
use scoutly::store::{self, PostingFilter, Store};

/// Companies due again a second after each scrape: the workers stay busy.
fn busy_config() -> String {
    format!("{FAST_CONFIG}\n[[schedule.bands]]\nranks = \"1-100\"\ninterval = \"1s\"\n")
}

/// Open a backup and check it is one consistent database; returns
/// (companies, postings, jobs).
fn check(path: &Path) -> (usize, usize, usize) {
    let store =
        Store::open(path).unwrap_or_else(|e| panic!("{} does not open: {e}", path.display()));
    store
        .read(|rx| {
            let jobs = queue::list_jobs(
                rx,
                &JobFilter {
                    limit: usize::MAX,
                    ..Default::default()
                },
            )?;
            let counts = queue::count_by_status(rx)?;
            let n = |s: JobStatus| jobs.iter().filter(|j| j.status == s).count() as u64;
            assert_eq!(counts.pending, n(JobStatus::Pending), "{}", path.display());
            assert_eq!(counts.in_progress, n(JobStatus::InProgress));
            assert_eq!(counts.completed, n(JobStatus::Completed));
            assert_eq!(counts.failed, n(JobStatus::Failed));
            // Every active-job index entry names that company's live job.
            let active = queue::active_jobs(rx)?;
            assert_eq!(
                active.len() as u64,
                counts.pending + counts.in_progress,
                "the active index and the jobs agree"
            );
            let companies = store::list_companies(rx)?;
            let postings = store::list_postings(
                rx,
                &PostingFilter {
                    include_baseline: true,
                    limit: usize::MAX,
                    ..Default::default()
                },
            )?;
            for p in &postings {
                assert!(companies.iter().any(|c| c.id == p.company_id));
                assert!(
                    jobs.iter().any(|j| j.id == p.job_id),
                    "posting {} has its job",
                    p.id
                );
            }
            Ok((companies.len(), postings.len(), jobs.len()))
        })
        .unwrap()
}

fn backups(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort_by(|a, b| a.file_stem().cmp(&b.file_stem()));
    v
}

#[test]
fn backups_while_jobs_run_are_consistent_and_rotated() {
    let site = Site::start();
    let mut app = Appliance::with_config(&busy_config());
    app.start();
    for n in 0..12u32 {
        let path = format!("/c{n}/careers");
        site.set(
            &path,
            careers_page(&format!("c{n}"), &[(n, "Engineer"), (n + 100, "Chef")]),
        );
        app.add_company(&format!("C{n}"), &site.url(&path));
    }
    app.wait_until("the baselines", || app.jobs("completed").len() >= 12);
    let dir = app.dir.path().join("backups");
    let dir_arg = dir.to_str().unwrap().to_string();
    let mut made = Vec::new();
    for round in 0..5u32 {
        // New postings between backups, so each copy differs.
        site.set(
            "/c0/careers",
            careers_page("c0", &[(0, "Engineer"), (1000 + round, "New role")]),
        );
        let before = app.jobs("completed").len();
        let out = app.json(&["backup", &dir_arg, "--keep", "3"]);
        made.push(PathBuf::from(out["path"].as_str().unwrap()));
        assert!(out["rows"].as_u64().unwrap() > 0, "{out}");
        // Work went on around the backup.
        app.wait_until("more jobs", || app.jobs("completed").len() > before);
    }
    let kept = backups(&dir);
    assert_eq!(kept, made[2..].to_vec(), "the newest three are kept");
    for b in &kept {
        let (companies, _, jobs) = check(b);
        assert_eq!(companies, 12);
        assert!(jobs >= 12);
    }
    // Nothing half-made is left next to the live database.
    let leftovers: Vec<_> = std::fs::read_dir(app.data_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.contains("partial") || n.contains("backup"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Stopped: the CLI copies the file itself, and the copy holds what the
    // live database holds.
    assert_eq!(app.stop(), 0);
    let out = app.json(&["backup", &dir_arg]);
    let copy = check(Path::new(out["path"].as_str().unwrap()));
    let live_path = app.data_dir().join("scoutly.redb");
    let live = check(&live_path);
    assert_eq!(copy, live);
    // Every table, row for row.
    let rows = store::backup::table_rows(&live_path).unwrap();
    assert!(
        rows.iter().filter(|(_, n)| *n > 0).count() >= 10,
        "{rows:?}"
    );
    assert_eq!(
        store::backup::table_rows(Path::new(out["path"].as_str().unwrap())).unwrap(),
        rows
    );
    assert_eq!(backups(&dir).len(), 4, "no --keep: nothing removed");
}

#[test]
fn backup_errors_name_the_problem() {
    let app = Appliance::new();
    let out = app.cli(&["backup", "/proc/no-such-dir/x"]);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr
            .contains("cannot create the backup directory /proc/no-such-dir/x"),
        "{}",
        out.stderr
    );
    let dir = app.dir.path().join("b");
    let out = app.cli(&["backup", dir.to_str().unwrap(), "--keep", "0"]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("keep at least 1"), "{}", out.stderr);
}
