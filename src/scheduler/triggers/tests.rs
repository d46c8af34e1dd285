//! Cron triggers through real scheduler passes on a real store, with the
//! time driven by the test.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

use super::CronFired;
use crate::config::CronTrigger;
use crate::model::{Job, JobSource, JobStatus, Timestamp};
use crate::scheduler::tests::{drain, settings, setup};
use crate::scheduler::{CronSchedule, PassSettings, run_pass};
use crate::store::Store;

const QUARTER: Duration = Duration::from_secs(15 * 60);

fn utc(y: i32, m: u32, d: u32, h: u32, mi: u32) -> Timestamp {
    Timestamp::from_millis(
        Utc.with_ymd_and_hms(y, m, d, h, mi, 0)
            .unwrap()
            .timestamp_millis(),
    )
}

fn london(t: Timestamp) -> String {
    DateTime::from_timestamp_millis(t.millis())
        .unwrap()
        .with_timezone(&chrono_tz::Europe::London)
        .format("%m-%d %H:%M")
        .to_string()
}

fn with_cron(triggers: &[(&str, &str, u8)]) -> PassSettings {
    let mut s = settings();
    s.pass_interval = QUARTER;
    s.cron = triggers
        .iter()
        .map(|(expr, tz, min_rank)| CronTrigger {
            schedule: CronSchedule::parse(expr, tz).unwrap(),
            min_rank: *min_rank,
        })
        .collect();
    s
}

/// Every job a cron trigger created.
fn cron_jobs(store: &Store) -> Vec<Job> {
    let all = store
        .read(|rx| crate::queue::list_jobs(rx, &Default::default()))
        .unwrap();
    all.into_iter()
        .filter(|j| j.source == JobSource::Cron)
        .collect()
}

/// The seed plan's refresh times: 08:00, 10:00, 14:00, 16:00, 16:45, 22:00.
fn seed_plan() -> PassSettings {
    with_cron(&[
        ("0 8,10,14,16,22 * * *", "Europe/London", 1),
        ("45 16 * * *", "Europe/London", 1),
    ])
}

/// Passes every `step` in `[from, to]`, finishing all jobs after each;
/// returns each pass time at which a trigger fired, with what it did.
fn simulate(
    store: &Store,
    s: &PassSettings,
    from: Timestamp,
    to: Timestamp,
    step: Duration,
) -> Vec<(Timestamp, CronFired)> {
    let mut out = Vec::new();
    let mut now = from;
    while now <= to {
        let report = run_pass(store, now, s, JobSource::Scheduled).unwrap();
        out.extend(report.cron.into_iter().map(|f| (now, f)));
        drain(store, now);
        now = now.plus(step);
    }
    out
}

#[test]
fn the_seed_plan_fires_six_times_a_day_each_time_enqueueing_every_tracked_company() {
    let (_d, store, ids) = setup(&[90, 50, 5]);
    let s = seed_plan();
    // The first pass sees the triggers for the first time: nothing fires.
    let fired = simulate(
        &store,
        &s,
        utc(2026, 6, 9, 23, 0),
        utc(2026, 6, 11, 22, 59),
        QUARTER,
    );
    let times: Vec<String> = fired.iter().map(|(t, _)| london(*t)).collect();
    assert_eq!(
        times,
        [
            "06-10 08:00",
            "06-10 10:00",
            "06-10 14:00",
            "06-10 16:00",
            "06-10 16:45",
            "06-10 22:00",
            "06-11 08:00",
            "06-11 10:00",
            "06-11 14:00",
            "06-11 16:00",
            "06-11 16:45",
            "06-11 22:00",
        ]
    );
    for (at, f) in &fired {
        assert_eq!(f.scheduled, *at, "fired on time");
        assert_eq!(f.enqueued, ids.len(), "every tracked company gets a job");
    }
    assert_eq!(cron_jobs(&store).len(), 12 * ids.len());
}

#[test]
fn times_missed_while_off_fire_once_on_wake() {
    let (_d, store, ids) = setup(&[90, 50]);
    let s = seed_plan();
    simulate(
        &store,
        &s,
        utc(2026, 6, 10, 6, 0),
        utc(2026, 6, 10, 7, 0),
        QUARTER,
    );
    // Off from 08:15 BST until 20:07 BST: 10:00, 14:00, 16:00 and 16:45 missed.
    let wake = utc(2026, 6, 10, 19, 7);
    let report = run_pass(&store, wake, &s, JobSource::CatchUp).unwrap();
    assert_eq!(report.cron.len(), 2, "each trigger fires once: {report:?}");
    assert_eq!(london(report.cron[0].scheduled), "06-10 10:00");
    assert_eq!(london(report.cron[1].scheduled), "06-10 16:45");
    let active = store.read(crate::queue::count_by_status).unwrap().pending;
    assert_eq!(
        active as usize,
        ids.len(),
        "one job per company, not one per missed time"
    );
    drain(&store, wake);
    let later = simulate(
        &store,
        &s,
        wake.plus(QUARTER),
        utc(2026, 6, 10, 21, 30),
        QUARTER,
    );
    // Passes at :07, :22, ...: 22:00 fires at the first pass after it.
    assert_eq!(
        later
            .iter()
            .map(|(t, f)| (london(*t), london(f.scheduled)))
            .collect::<Vec<_>>(),
        [("06-10 22:07".to_string(), "06-10 22:00".to_string())]
    );
}

#[test]
fn daylight_saving_changes_neither_double_fire_nor_skip() {
    for (from, to, want) in [
        (
            utc(2026, 3, 27, 12, 0),
            utc(2026, 3, 30, 12, 0),
            ["03-28 01:30", "03-29 02:30", "03-30 01:30"],
        ),
        (
            utc(2026, 10, 23, 12, 0),
            utc(2026, 10, 26, 12, 0),
            ["10-24 01:30", "10-25 01:30", "10-26 01:30"],
        ),
    ] {
        let (_d, store, _ids) = setup(&[90]);
        let s = with_cron(&[("30 1 * * *", "Europe/London", 1)]);
        let fired = simulate(&store, &s, from, to, QUARTER);
        let times: Vec<String> = fired.iter().map(|(t, _)| london(*t)).collect();
        assert_eq!(times, want);
    }
}

#[test]
fn the_last_firing_survives_a_restart() {
    let (dir, store, _ids) = setup(&[90]);
    let s = seed_plan();
    let fired = simulate(
        &store,
        &s,
        utc(2026, 6, 10, 6, 0),
        utc(2026, 6, 10, 7, 0),
        QUARTER,
    );
    assert_eq!(fired.len(), 1, "08:00 BST");
    drop(store);
    let store = Store::open(&dir.path().join("scoutly.redb")).unwrap();
    let report = run_pass(&store, utc(2026, 6, 10, 7, 30), &s, JobSource::CatchUp).unwrap();
    assert!(report.cron.is_empty(), "08:00 already fired: {report:?}");
}

#[test]
fn min_rank_limits_which_companies_a_trigger_refreshes() {
    let (_d, store, ids) = setup(&[90, 50, 5]);
    let s = with_cron(&[("0 12 * * *", "UTC", 50)]);
    let fired = simulate(
        &store,
        &s,
        utc(2026, 6, 10, 11, 0),
        utc(2026, 6, 10, 12, 0),
        QUARTER,
    );
    assert_eq!(fired.len(), 1);
    let cron_companies: Vec<u64> = cron_jobs(&store).iter().map(|j| j.company_id).collect();
    assert_eq!(cron_companies.len(), 2);
    assert!(!cron_companies.contains(&ids[2]), "rank 5 is below 50");
}

#[test]
fn clock_noise_never_fires_twice_and_a_big_step_back_follows_the_new_clock() {
    let (_d, store, _ids) = setup(&[90]);
    let s = with_cron(&[("0 12 * * *", "UTC", 1)]);
    simulate(
        &store,
        &s,
        utc(2026, 6, 10, 11, 45),
        utc(2026, 6, 10, 12, 0),
        QUARTER,
    );
    drain(&store, utc(2026, 6, 10, 12, 0));
    // Two seconds back across the firing time: within the slack, no refire.
    let noise = utc(2026, 6, 10, 12, 0).minus(Duration::from_secs(2));
    assert!(
        run_pass(&store, noise, &s, JobSource::Scheduled)
            .unwrap()
            .cron
            .is_empty()
    );
    assert!(
        run_pass(&store, utc(2026, 6, 10, 12, 1), &s, JobSource::Scheduled)
            .unwrap()
            .cron
            .is_empty()
    );
    // The clock was a day ahead and is corrected: 12:00 of the corrected day
    // fires (the earlier firing happened on a wrong clock).
    let corrected = utc(2026, 6, 9, 11, 50);
    assert!(
        run_pass(&store, corrected, &s, JobSource::Scheduled)
            .unwrap()
            .cron
            .is_empty()
    );
    drain(&store, corrected);
    let noon = run_pass(&store, utc(2026, 6, 9, 12, 0), &s, JobSource::Scheduled).unwrap();
    assert_eq!(noon.cron.len(), 1);
}

#[test]
fn a_company_with_a_job_already_queued_keeps_it() {
    let (_d, store, ids) = setup(&[90, 50]);
    let s = with_cron(&[("0 12 * * *", "UTC", 1)]);
    // First pass: scheduled jobs for both (never scraped), not drained.
    run_pass(&store, utc(2026, 6, 10, 11, 0), &s, JobSource::Scheduled).unwrap();
    let noon = run_pass(&store, utc(2026, 6, 10, 12, 0), &s, JobSource::Scheduled).unwrap();
    assert_eq!(noon.cron.len(), 1);
    assert_eq!(noon.cron[0].enqueued, 0);
    let jobs = store
        .read(|rx| crate::queue::list_jobs(rx, &Default::default()))
        .unwrap();
    assert_eq!(jobs.len(), ids.len());
    assert!(jobs.iter().all(|j| j.status == JobStatus::Pending));
}
