use std::time::Duration;

use super::*;
use crate::config::standard_bands;
use crate::model::{CompanyState, JobStatus, OPERATOR_USER, Rank, Role};
use crate::store::tests::{company, temp_store};
use crate::store::{hash_token, insert_company, insert_user, put_company, record_success, track};

const T0: Timestamp = Timestamp::from_millis(1_700_000_000_000);
const HOUR: Duration = Duration::from_secs(3600);

fn policy() -> RankPolicy {
    RankPolicy::new(&standard_bands())
}

pub(super) fn settings() -> PassSettings {
    PassSettings {
        policy: policy(),
        max_attempts: 3,
        pass_interval: Duration::from_secs(60),
        max_enqueue: 1000,
        inactive_user_after: None,
        judge_activity: false,
        duration_order: false,
        cron: Vec::new(),
    }
}

/// A store with one user tracking companies at the given ranks.
pub(super) fn setup(ranks: &[i64]) -> (tempfile::TempDir, Store, Vec<Id>) {
    let (dir, store) = temp_store();
    let ids = store
        .write(|tx| {
            let u = insert_user(tx, "ann", Role::User, hash_token("t"), T0)?;
            let mut ids = Vec::new();
            for (i, r) in ranks.iter().enumerate() {
                let c = insert_company(tx, company(&format!("c{i}")), T0)?;
                track(tx, u.id, c.id, Rank::new(*r).unwrap(), T0)?;
                ids.push(c.id);
            }
            Ok(ids)
        })
        .unwrap();
    (dir, store, ids)
}

fn set_last_success(store: &Store, id: Id, at: Timestamp) {
    store
        .write(|tx| {
            let mut c = store::get_company(tx, id)?;
            c.health.last_success = Some(at);
            put_company(tx, &c)
        })
        .unwrap();
}

/// Claim and complete every runnable job at `now`; returns company ids in claim order.
pub(super) fn drain(store: &Store, now: Timestamp) -> Vec<Id> {
    let mut done = Vec::new();
    while let Some(job) = store.write(|tx| queue::claim(tx, now, HOUR)).unwrap() {
        store
            .write(|tx| {
                queue::complete(tx, job.id, Default::default(), now)?;
                record_success(tx, job.company_id, now, None)
            })
            .unwrap();
        done.push(job.company_id);
    }
    done
}

#[test]
fn due_follows_rank_interval_since_last_success() {
    let (_d, store, ids) = setup(&[90, 5]);
    let companies = |s: &Store| s.read(store::list_companies).unwrap();
    // Never scraped: both due.
    assert_eq!(plan(&companies(&store), T0, &policy()).len(), 2);
    set_last_success(&store, ids[0], T0);
    set_last_success(&store, ids[1], T0);
    let at = |h: u64| T0.plus(HOUR * h as u32);
    assert!(plan(&companies(&store), at(23), &policy()).is_empty());
    let due: Vec<Id> = plan(&companies(&store), at(24), &policy())
        .iter()
        .map(|d| d.company_id)
        .collect();
    assert_eq!(due, vec![ids[0]]);
    let due = plan(&companies(&store), at(120), &policy());
    assert_eq!(due.len(), 2);
    assert_eq!(
        due[0].company_id, ids[0],
        "rank 90 is 5x overdue, rank 5 only 1x"
    );
}

#[test]
fn untracked_quarantined_and_backing_off_are_skipped() {
    let (_d, store, ids) = setup(&[50, 50, 50]);
    store
        .write(|tx| {
            let mut c = store::get_company(tx, ids[0])?;
            c.health.state = CompanyState::Quarantined;
            put_company(tx, &c)?;
            let mut c = store::get_company(tx, ids[1])?;
            c.health.backoff_until = Some(T0.plus(HOUR));
            put_company(tx, &c)?;
            insert_company(tx, company("untracked"), T0)
        })
        .unwrap();
    let companies = store.read(store::list_companies).unwrap();
    let due: Vec<Id> = plan(&companies, T0, &policy())
        .iter()
        .map(|d| d.company_id)
        .collect();
    assert_eq!(due, vec![ids[2]]);
    let due = plan(&companies, T0.plus(HOUR), &policy());
    assert_eq!(due.len(), 2, "backoff over");
}

#[test]
fn simulated_ten_days_scrape_each_company_per_its_band() {
    let (_d, store, ids) = setup(&[90, 70, 20]);
    let mut count = std::collections::HashMap::new();
    let mut now = T0;
    for _ in 0..(10 * 24) {
        run_pass(&store, now, &settings(), JobSource::Scheduled).unwrap();
        for c in drain(&store, now) {
            *count.entry(c).or_insert(0) += 1;
        }
        now = now.plus(HOUR);
    }
    // 240 h: every 24 h → 10, every 48 h → 5, every 96 h → 3 (0, 96, 192).
    assert_eq!(count[&ids[0]], 10);
    assert_eq!(count[&ids[1]], 5);
    assert_eq!(count[&ids[2]], 3);
}

#[test]
fn catch_up_after_downtime_enqueues_each_once_most_overdue_first() {
    let (_d, store, ids) = setup(&[90, 20, 50]);
    set_last_success(&store, ids[0], T0); // 24 h interval
    set_last_success(&store, ids[1], T0); // 96 h interval
    set_last_success(&store, ids[2], T0.plus(HOUR * 24)); // 72 h interval
    // Off for 30 days.
    let now = T0.plus(HOUR * 24 * 30);
    let report = run_pass(&store, now, &settings(), JobSource::CatchUp).unwrap();
    assert_eq!(report.enqueued, 3);
    let again = run_pass(&store, now.plus(HOUR), &settings(), JobSource::Scheduled).unwrap();
    assert_eq!(again.enqueued, 0, "never once per missed period");
    let jobs = store
        .read(|rx| queue::list_jobs(rx, &Default::default()))
        .unwrap();
    assert!(
        jobs.iter()
            .all(|j| j.source == JobSource::CatchUp && j.status == JobStatus::Pending)
    );
    assert_eq!(drain(&store, now.plus(HOUR)), vec![ids[0], ids[2], ids[1]]);
    assert_eq!(last_pass(&store).unwrap(), Some(now.plus(HOUR)));
}

#[test]
fn a_cancelled_scrape_counts_as_the_companys_turn() {
    let (_d, store, _ids) = setup(&[90]);
    run_pass(&store, T0, &settings(), JobSource::Scheduled).unwrap();
    let job = store
        .read(|rx| queue::list_jobs(rx, &Default::default()))
        .unwrap()[0]
        .id;
    store.write(|tx| queue::cancel(tx, job, T0)).unwrap();
    let again = run_pass(&store, T0.plus(HOUR), &settings(), JobSource::Scheduled).unwrap();
    assert_eq!(again.enqueued, 0, "not undone by the next pass");
    let later = run_pass(
        &store,
        T0.plus(HOUR * 24),
        &settings(),
        JobSource::Scheduled,
    )
    .unwrap();
    assert_eq!(later.enqueued, 1, "due again a full interval later");
}

#[test]
fn catch_up_order_is_overdue_weighted_by_rank() {
    // Intervals: rank 100 → 24 h, rank 20 → 96 h, rank 50 → 72 h.
    let (_d, store, ids) = setup(&[100, 20, 50]);
    let now = T0.plus(HOUR * 24 * 30);
    set_last_success(&store, ids[0], now.minus(HOUR * 48)); // 2x overdue × 1.0 = 2.0
    set_last_success(&store, ids[1], now.minus(HOUR * 576)); // 6x overdue × 0.2 = 1.2
    set_last_success(&store, ids[2], now.minus(HOUR * 360)); // 5x overdue × 0.5 = 2.5
    let report = run_pass(&store, now, &settings(), JobSource::CatchUp).unwrap();
    assert_eq!(report.enqueued, 3);
    assert_eq!(drain(&store, now), vec![ids[2], ids[0], ids[1]]);
}

#[test]
fn a_forward_jump_is_caught_up_once_and_a_backward_jump_skips_nobody() {
    let (_d, store, ids) = setup(&[90, 20]);
    // A normal pass scrapes both.
    run_pass(&store, T0, &settings(), JobSource::Scheduled).unwrap();
    assert_eq!(drain(&store, T0).len(), 2);
    // Asleep for three weeks: the next pass notices and catches up, once each.
    let woke = T0.plus(HOUR * 24 * 21);
    let r = run_pass(&store, woke, &settings(), JobSource::Scheduled).unwrap();
    assert_eq!(r.jump, Some(ClockJump::Forward(HOUR * 24 * 21)));
    assert_eq!(r.enqueued, 2);
    let jobs = store
        .read(|rx| queue::list_jobs(rx, &Default::default()))
        .unwrap();
    assert!(
        jobs.iter()
            .filter(|j| j.status == JobStatus::Pending)
            .all(|j| j.source == JobSource::CatchUp)
    );
    assert_eq!(drain(&store, woke).len(), 2);
    // A normal minute later: no jump, nothing due.
    let r = run_pass(
        &store,
        woke.plus(Duration::from_secs(60)),
        &settings(),
        JobSource::Scheduled,
    )
    .unwrap();
    assert_eq!((r.jump, r.enqueued), (None, 0));

    // The clock is set back a year (a wrong RTC corrected): no storm now...
    let back = woke.minus(HOUR * 24 * 365);
    let r = run_pass(&store, back, &settings(), JobSource::Scheduled).unwrap();
    assert!(matches!(r.jump, Some(ClockJump::Backward(_))), "{r:?}");
    assert_eq!(r.enqueued, 0, "no storm");
    assert_eq!(r.pulled_back, 2);
    // ...and nobody waits a year: each is due one interval after the jump.
    let r = run_pass(
        &store,
        back.plus(HOUR * 24),
        &settings(),
        JobSource::Scheduled,
    )
    .unwrap();
    assert_eq!(r.enqueued, 1, "rank 90 (24 h) is due again");
    let r = run_pass(
        &store,
        back.plus(HOUR * 96),
        &settings(),
        JobSource::Scheduled,
    )
    .unwrap();
    assert_eq!(r.enqueued, 1, "rank 20 (96 h) is due again");
    let _ = ids;
}

#[test]
fn a_retry_waiting_past_a_backward_jump_becomes_runnable() {
    let (_d, store, ids) = setup(&[50]);
    run_pass(&store, T0, &settings(), JobSource::Scheduled).unwrap();
    let job = store
        .write(|tx| queue::claim(tx, T0, HOUR))
        .unwrap()
        .unwrap();
    let backoff = crate::config::Config::defaults().queue.backoff;
    store
        .write(|tx| queue::fail(tx, job.id, "x", true, T0, &backoff, 0.5))
        .unwrap();
    let back = T0.minus(HOUR * 24 * 30);
    run_pass(&store, back, &settings(), JobSource::Scheduled).unwrap();
    let claimed = store.write(|tx| queue::claim(tx, back, HOUR)).unwrap();
    assert_eq!(claimed.map(|j| j.company_id), Some(ids[0]));
}

#[test]
fn a_pass_with_nothing_to_do_writes_nothing_but_the_pass_time_every_ten_minutes() {
    let (_d, store, _ids) = setup(&[90]);
    run_pass(&store, T0, &settings(), JobSource::Scheduled).unwrap();
    drain(&store, T0);
    store.flush().unwrap();
    let minute = T0.plus(Duration::from_secs(60));
    let r = run_pass_after(&store, minute, &settings(), JobSource::Scheduled, Some(T0)).unwrap();
    assert_eq!((r.enqueued, r.jump), (0, None));
    assert!(!store.has_unflushed(), "an idle pass commits nothing");
    assert_eq!(last_pass(&store).unwrap(), Some(T0));
    let later = T0.plus(Duration::from_secs(660));
    run_pass_after(
        &store,
        later,
        &settings(),
        JobSource::Scheduled,
        Some(minute),
    )
    .unwrap();
    assert!(store.has_unflushed());
    assert_eq!(last_pass(&store).unwrap(), Some(later));
}

#[test]
fn a_pass_creates_at_most_max_enqueue_jobs_and_the_next_passes_take_the_rest() {
    let (_d, store, ids) = setup(&[90, 80, 70, 60, 50]);
    let mut s = settings();
    s.max_enqueue = 2;
    let first = run_pass(&store, T0, &s, JobSource::CatchUp).unwrap();
    assert_eq!((first.due, first.enqueued), (5, 2));
    let second = run_pass(
        &store,
        T0.plus(Duration::from_secs(60)),
        &s,
        JobSource::Scheduled,
    )
    .unwrap();
    assert_eq!(
        second.enqueued, 2,
        "the two queued are skipped, two more come"
    );
    let third = run_pass(
        &store,
        T0.plus(Duration::from_secs(120)),
        &s,
        JobSource::Scheduled,
    )
    .unwrap();
    assert_eq!(third.enqueued, 1);
    let order = drain(&store, T0.plus(Duration::from_secs(120)));
    assert_eq!(order.len(), ids.len(), "every company got exactly one job");
}

#[test]
fn inactive_users_stop_counting_until_they_come_back() {
    const DAY: Duration = Duration::from_secs(86_400);
    let at = |days: u32| T0.plus(DAY * days);
    let (_d, store) = temp_store();
    // Alice alone tracks "solo"; alice (90) and bob (30) track "shared";
    // the console's operator tracks "console".
    let (solo, shared, console, alice, bob) = store
        .write(|tx| {
            let alice = insert_user(tx, "alice", Role::User, hash_token("a"), T0)?;
            let bob = insert_user(tx, "bob", Role::User, hash_token("b"), T0)?;
            let op = insert_user(tx, OPERATOR_USER, Role::Admin, hash_token("o"), T0)?;
            let solo = insert_company(tx, company("solo"), T0)?.id;
            let shared = insert_company(tx, company("shared"), T0)?.id;
            let console = insert_company(tx, company("console"), T0)?.id;
            track(tx, alice.id, solo, Rank::new(80).unwrap(), T0)?;
            track(tx, alice.id, shared, Rank::new(90).unwrap(), T0)?;
            track(tx, bob.id, shared, Rank::new(30).unwrap(), T0)?;
            track(tx, op.id, console, Rank::new(50).unwrap(), T0)?;
            Ok((solo, shared, console, alice.id, bob.id))
        })
        .unwrap();
    let rank = |id: Id| {
        store
            .read(|rx| store::get_company(rx, id))
            .unwrap()
            .effective_rank
            .map(|r| r.get())
    };
    let mut s = settings();
    s.inactive_user_after = Some(DAY * 30);
    s.judge_activity = true;
    // The first judging pass sets the baseline: activity counts from here
    // at the earliest (an appliance upgraded from a version that recorded
    // none does not find everyone inactive at once).
    run_pass(&store, T0, &s, JobSource::Scheduled).unwrap();
    drain(&store, T0);
    // Bob used the API on day 20; alice has not since her account was made.
    store
        .write(|tx| store::touch_user(tx, bob, at(20)))
        .unwrap();
    run_pass(&store, at(30), &s, JobSource::Scheduled).unwrap();
    assert_eq!(rank(solo), Some(80), "30 days is not more than 30 days");
    drain(&store, at(30));

    run_pass(&store, at(31), &s, JobSource::Scheduled).unwrap();
    assert_eq!(rank(solo), None, "tracked only by an inactive user");
    assert_eq!(rank(shared), Some(30), "bob's rank alone counts");
    assert_eq!(rank(console), Some(50), "the operator is never inactive");
    assert!(store.read(|rx| store::is_inactive(rx, alice)).unwrap());
    assert!(!store.read(|rx| store::is_inactive(rx, bob)).unwrap());
    // By day 60 bob is away too (since day 20): only the console's company
    // is scraped.
    run_pass(&store, at(60), &s, JobSource::Scheduled).unwrap();
    assert_eq!(drain(&store, at(60)), [console]);
    assert_eq!(rank(shared), None);

    // Alice comes back: her ranks count at once, and the next pass catches
    // her overdue company up.
    let back = store
        .write(|tx| store::touch_user(tx, alice, at(61)))
        .unwrap();
    assert!(back);
    assert_eq!((rank(solo), rank(shared)), (Some(80), Some(90)));
    run_pass(&store, at(61), &s, JobSource::Scheduled).unwrap();
    assert!(drain(&store, at(61)).contains(&solo));
    // Touching an active user changes nothing else.
    assert!(
        !store
            .write(|tx| store::touch_user(tx, alice, at(62)))
            .unwrap()
    );

    // A pass run from the CLI leaves activity alone.
    s.judge_activity = false;
    s.inactive_user_after = None;
    run_pass(&store, at(153), &s, JobSource::Scheduled).unwrap();
    assert!(store.read(|rx| store::is_inactive(rx, bob)).unwrap());

    // Turned off, nobody is inactive.
    s.judge_activity = true;
    run_pass(&store, at(200), &s, JobSource::Scheduled).unwrap();
    assert!(!store.read(|rx| store::is_inactive(rx, bob)).unwrap());
    assert_eq!(rank(shared), Some(90));
}
