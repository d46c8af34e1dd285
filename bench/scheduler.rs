//! One scheduler pass over 10,000 companies, 1,000 users and 100,000
//! preferences in a real redb file.
//!
//! `cargo bench --bench scheduler`

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use scoutly::config::standard_bands;
use scoutly::model::{JobSource, Timestamp};
use scoutly::queue;
use scoutly::scheduler::{PassSettings, RankPolicy, run_pass};
use scoutly::store::Store;

const COMPANIES: u64 = 10_000;
const USERS: u64 = 1_000;
const PREFS_PER_USER: u64 = 100;

#[path = "seed.rs"]
mod seed;

const SIZE: seed::Size = seed::Size {
    companies: COMPANIES,
    users: USERS,
    prefs_per_user: PREFS_PER_USER,
};

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("bench.redb")).unwrap();
    let t0 = Timestamp::from_millis(1_700_000_000_000);
    let started = Instant::now();
    seed::seed(&store, SIZE, t0, Some(t0));
    eprintln!(
        "seeded {COMPANIES} companies, {USERS} users, {} preferences in {:?}",
        USERS * PREFS_PER_USER,
        started.elapsed()
    );
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
    let mut g = c.benchmark_group("scheduler_pass_10k");
    g.sample_size(20);
    // Steady state: everything scraped an hour ago, nothing due.
    let soon = t0.plus(Duration::from_secs(3600));
    g.bench_function("nothing_due", |b| {
        b.iter(|| run_pass(&store, soon, &settings, JobSource::Scheduled).unwrap())
    });
    // The same pass as the appliance runs it: judging every user's activity
    // (scheduler.inactive_user_after, 30 days) before planning. Nobody
    // changes state, so this is the sweep's steady cost.
    let judging = PassSettings {
        inactive_user_after: Some(Duration::from_secs(30 * 86_400)),
        judge_activity: true,
        ..settings.clone()
    };
    g.bench_function("nothing_due_judging_activity", |b| {
        b.iter(|| run_pass(&store, soon, &judging, JobSource::Scheduled).unwrap())
    });
    // Catch-up after a week off: every tracked company due; one pass enqueues
    // up to `max_enqueue` (1,000) of them.
    // Cancelling counts as a company's turn, so each iteration is eight days
    // after the last: every company is due again.
    let mut week = t0;
    g.bench_function("all_due_enqueue", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                week = week.plus(Duration::from_secs(8 * 86400));
                let report_start = Instant::now();
                let r = run_pass(&store, week, &settings, JobSource::CatchUp).unwrap();
                total += report_start.elapsed();
                assert!(r.enqueued > 0);
                // Not timed: cancel what was enqueued so the next pass enqueues again.
                store
                    .write(|tx| {
                        let pending = queue::list_jobs(
                            tx,
                            &queue::JobFilter {
                                status: Some(scoutly::model::JobStatus::Pending),
                                ..Default::default()
                            },
                        )?;
                        for j in pending {
                            queue::cancel(tx, j.id, week)?;
                        }
                        Ok(())
                    })
                    .unwrap();
            }
            total
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
