use super::*;
use crate::config::Config;
use crate::model::{Rank, Role};
use crate::queue::{self, EnqueueRequest};
use crate::resources::monitor::Monitor;
use crate::store::tests::{company, temp_store};
use crate::store::{hash_token, insert_company, insert_user, track};

const T0: Timestamp = Timestamp::from_millis(1_700_000_000_000);
const MIN: Duration = Duration::from_secs(60);

fn cfg() -> AlertsConfig {
    Config::defaults().alerts
}

#[test]
fn failure_rate_needs_enough_jobs_and_more_than_the_share() {
    let c = cfg();
    let h = |ended, failed| History {
        ended,
        failed,
        ..Default::default()
    };
    let kinds = |h: History| -> Vec<&str> {
        conditions(&h, &c, T0, T0, &[])
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    };
    assert!(kinds(h(9, 9)).is_empty(), "fewer than failure_min_jobs");
    assert!(kinds(h(10, 5)).is_empty(), "half is not more than half");
    assert_eq!(kinds(h(10, 6)), ["failure_rate"]);
    // Once open it holds down to 80 % of the rate, and while too few end.
    let open = |h: History| -> Vec<&str> {
        conditions(&h, &c, T0, T0, &["failure_rate"])
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    };
    assert_eq!(open(h(10, 5)), ["failure_rate"], "50 % > 40 %");
    assert!(open(h(10, 4)).is_empty(), "40 % is not over 40 %");
    assert_eq!(open(h(3, 0)), ["failure_rate"], "too few to judge");
    let msg = &conditions(&h(10, 6), &c, T0, T0, &[])[0].1;
    assert!(msg.contains("6 of 10") && msg.contains("50 %"), "{msg}");
}

#[test]
fn no_success_and_a_stalled_queue_count_from_the_start_when_nothing_happened_yet() {
    let c = cfg();
    let day = Duration::from_secs(86_400);
    let tracked = History {
        tracked: 3,
        ..Default::default()
    };
    assert!(
        conditions(&tracked, &c, T0.plus(day), T0, &[]).is_empty(),
        "exactly 24 h"
    );
    let late = conditions(&tracked, &c, T0.plus(day + MIN), T0, &[]);
    assert_eq!(late[0].0, "no_success");
    let recent = History {
        last_success: Some(T0.plus(day)),
        ..tracked.clone()
    };
    assert!(conditions(&recent, &c, T0.plus(day + MIN), T0, &[]).is_empty());
    // Nothing tracked: nothing to succeed at.
    assert!(conditions(&History::default(), &c, T0.plus(day * 9), T0, &[]).is_empty());

    let waiting = History {
        oldest_runnable: Some(T0),
        ..Default::default()
    };
    assert!(conditions(&waiting, &c, T0.plus(MIN * 30), T0, &[]).is_empty());
    assert_eq!(
        conditions(&waiting, &c, T0.plus(MIN * 31), T0, &[])[0].0,
        "queue_stalled"
    );
    let draining = History {
        last_end: Some(T0.plus(MIN * 20)),
        ..waiting
    };
    assert!(
        conditions(&draining, &c, T0.plus(MIN * 31), T0, &[]).is_empty(),
        "jobs still end: the queue drains, if slowly"
    );
}

/// End a job at `at`, completed or failed.
fn end_job(store: &Store, company: u64, at: Timestamp, ok: bool) {
    store
        .write(|tx| {
            let req = EnqueueRequest::new(company, crate::model::JobSource::Manual);
            let job = queue::enqueue(tx, &req, at)?.job().clone();
            let claimed = queue::claim(tx, at, MIN)?.expect("runnable");
            assert_eq!(claimed.id, job.id);
            if ok {
                queue::complete(tx, job.id, Default::default(), at)?;
            } else {
                let backoff = Config::defaults().queue.backoff;
                queue::fail(tx, job.id, "HTTP 500", false, at, &backoff, 0.5)?;
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn the_rules_fire_once_and_recover_once_over_a_scripted_history() {
    let (_d, store) = temp_store();
    let acme = store
        .write(|tx| {
            let u = insert_user(tx, "ann", Role::User, hash_token("t"), T0)?;
            let c = insert_company(tx, company("acme"), T0)?;
            track(tx, u.id, c.id, Rank::new(50).unwrap(), T0)?;
            Ok(c.id)
        })
        .unwrap();
    let mut c = cfg();
    c.failure_min_jobs = 4;
    let config = Config::defaults();
    let resources = Monitor::new(&config, std::env::temp_dir(), crate::clock::system()).resources();
    let mut heard = resources.raised.subscribe();
    let check = |now: Timestamp| {
        let h = store.read(|rx| history(rx, &c, now)).unwrap();
        let open: Vec<&str> = RULE_ALERTS
            .iter()
            .copied()
            .filter(|k| resources.is_open(k))
            .collect();
        resources.reconcile_owned(now, RULE_ALERTS, conditions(&h, &c, now, T0, &open));
    };
    // Four failures in ten minutes, checked every minute for a while.
    for i in 0..4 {
        end_job(&store, acme, T0.plus(MIN * i), false);
    }
    for i in 4..10 {
        check(T0.plus(MIN * i));
    }
    // Two successes make it 4 of 6: still over half. Then four more.
    for i in 10..16 {
        end_job(&store, acme, T0.plus(MIN * i), true);
        check(T0.plus(MIN * i));
    }
    let mut said = Vec::new();
    while let Ok((kind, msg)) = heard.try_recv() {
        said.push((kind, msg));
    }
    assert_eq!(said.len(), 2, "{said:?}");
    assert_eq!(said[0].0, "failure_rate");
    assert!(said[0].1.starts_with("4 of 4"), "{said:?}");
    assert_eq!(said[1].0, "failure_rate");
    assert!(said[1].1.starts_with("recovered: "), "{said:?}");
    assert!(!resources.is_open("failure_rate"));
}
