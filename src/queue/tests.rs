use std::time::Duration;

use super::*;
use crate::config::{BackoffConfig, Config};
use crate::model::{JobSource, JobStatus, Timestamp};
use crate::store::tests::{company, temp_store};
use crate::store::{Store, StoreError, insert_company};

const T0: Timestamp = Timestamp::from_millis(1_700_000_000_000);
const LEASE: Duration = Duration::from_secs(300);

fn backoff() -> BackoffConfig {
    Config::defaults().queue.backoff
}

/// Check the index invariants of the queue against the job records.
pub(crate) fn check_invariants(store: &Store) {
    store
        .read(|rx| {
            let jobs: Vec<Job> = crate::store::all_records(&rx.jobs)?;
            let mut active = std::collections::HashMap::new();
            for j in &jobs {
                if j.status.is_active() {
                    assert!(
                        active.insert(j.company_id, j.id).is_none(),
                        "two active jobs for company {}",
                        j.company_id
                    );
                }
                let runnable = rx.jobs_runnable.get(super::ops::runnable_key(j))?.is_some();
                assert_eq!(
                    runnable,
                    j.status == JobStatus::Pending,
                    "runnable index for {j:?}"
                );
                let leased = j
                    .lease_until
                    .map(|u| rx.jobs_leases.get((u.key(), j.id)).map(|g| g.is_some()))
                    .transpose()?
                    .unwrap_or(false);
                assert_eq!(
                    leased,
                    j.status == JobStatus::InProgress,
                    "lease index for {j:?}"
                );
                assert!(j.attempt <= j.max_attempts, "attempts over max: {j:?}");
            }
            assert_eq!(rx.jobs_active.len()? as usize, active.len());
            for (c, id) in active {
                assert_eq!(rx.jobs_active.get(c)?.map(|g| g.value()), Some(id));
            }
            let pending = jobs
                .iter()
                .filter(|j| j.status == JobStatus::Pending)
                .count();
            let running = jobs
                .iter()
                .filter(|j| j.status == JobStatus::InProgress)
                .count();
            assert_eq!(rx.jobs_runnable.len()? as usize, pending);
            assert_eq!(rx.jobs_leases.len()? as usize, running);
            let counts = count_by_status(rx)?;
            let n = |s: JobStatus| jobs.iter().filter(|j| j.status == s).count() as u64;
            assert_eq!(counts.completed, n(JobStatus::Completed), "completed count");
            assert_eq!(counts.failed, n(JobStatus::Failed), "failed count");
            assert_eq!(counts.cancelled, n(JobStatus::Cancelled), "cancelled count");
            assert_eq!(
                (counts.pending, counts.in_progress),
                (pending as u64, running as u64)
            );
            let active_ids: Vec<u64> = active_jobs(rx)?.iter().map(|j| j.id).collect();
            assert_eq!(active_ids.len(), pending + running);
            for row in rx.job_checkpoints.iter()? {
                let id = row?.0.value();
                assert!(
                    active_ids.contains(&id),
                    "checkpoint kept for job {id}, which is not active"
                );
            }
            Ok(())
        })
        .unwrap();
}

use redb::{ReadableTable, ReadableTableMetadata};

fn setup(n: usize) -> (tempfile::TempDir, Store, Vec<u64>) {
    let (dir, store) = temp_store();
    let ids = (0..n)
        .map(|i| {
            store
                .write(|tx| insert_company(tx, company(&format!("c{i}")), T0))
                .unwrap()
                .id
        })
        .collect();
    (dir, store, ids)
}

fn enq(store: &Store, company: u64, source: JobSource, now: Timestamp) -> Enqueued {
    let mut req = EnqueueRequest::new(company, source);
    req.max_attempts = 3;
    let out = store.write(|tx| enqueue(tx, &req, now)).unwrap();
    check_invariants(store);
    out
}

fn claim_at(store: &Store, now: Timestamp) -> Option<Job> {
    let j = store.write(|tx| claim(tx, now, LEASE)).unwrap();
    check_invariants(store);
    j
}

#[test]
fn enqueue_dedupes_active_job_per_company() {
    let (_d, store, c) = setup(1);
    let first = enq(&store, c[0], JobSource::Scheduled, T0);
    assert!(first.created());
    let second = enq(&store, c[0], JobSource::Manual, T0);
    assert!(!second.created());
    assert_eq!(second.job().id, first.job().id);
    claim_at(&store, T0).unwrap();
    let third = enq(&store, c[0], JobSource::Manual, T0);
    assert_eq!(
        third.job().id,
        first.job().id,
        "running job is returned too"
    );
}

#[test]
fn enqueue_for_missing_company_is_not_found() {
    let (_d, store, _) = setup(0);
    let req = EnqueueRequest::new(42, JobSource::Manual);
    let err = store.write(|tx| enqueue(tx, &req, T0)).unwrap_err();
    assert!(err.to_string().contains("company 42 not found"), "{err}");
}

#[test]
fn claim_order_is_class_then_rank_then_age() {
    let (_d, store, c) = setup(7);
    // Ranks through a user who tracks the companies.
    store
        .write(|tx| {
            let u = crate::store::insert_user(tx, "u", crate::model::Role::User, [0; 32], T0)?;
            for (i, rank) in [10, 90, 50, 50, 20, 80, 30].iter().enumerate() {
                crate::store::track(tx, u.id, c[i], crate::model::Rank::new(*rank).unwrap(), T0)?;
            }
            Ok(())
        })
        .unwrap();
    let at = |s: u64| T0.plus(Duration::from_secs(s));
    enq(&store, c[0], JobSource::Scheduled, at(0)); // rank 10
    enq(&store, c[1], JobSource::Scheduled, at(1)); // rank 90
    enq(&store, c[3], JobSource::Scheduled, at(2)); // rank 50, older
    enq(&store, c[2], JobSource::Scheduled, at(3)); // rank 50, newer
    enq(&store, c[4], JobSource::Cron, at(4)); // rank 20
    enq(&store, c[5], JobSource::CatchUp, at(5)); // rank 80
    enq(&store, c[6], JobSource::Manual, at(6)); // rank 30
    let now = at(10);
    let order: Vec<u64> =
        std::iter::from_fn(|| claim_at(&store, now).map(|j| j.company_id)).collect();
    assert_eq!(order, vec![c[6], c[5], c[4], c[1], c[3], c[2], c[0]]);
}

#[test]
fn a_server_asking_for_a_longer_wait_pushes_the_retry_back() {
    let (_d, store, c) = setup(1);
    let id = enq(&store, c[0], JobSource::Scheduled, T0).job().id;
    claim_at(&store, T0).expect("claimable");
    let asked = Duration::from_secs(3600);
    let job = store
        .write(|tx| fail_after(tx, id, "http_429", true, T0, &backoff(), 0.5, asked))
        .unwrap();
    assert!(asked > backoff::delay(&backoff(), 1, 0.5));
    assert_eq!(job.run_at, T0.plus(asked));
    check_invariants(&store);
}

#[test]
fn failure_retries_after_backoff_then_fails_with_last_error() {
    let (_d, store, c) = setup(1);
    let id = enq(&store, c[0], JobSource::Scheduled, T0).job().id;
    let mut now = T0;
    for attempt in 1..=3u32 {
        let job = claim_at(&store, now).expect("claimable");
        assert_eq!(job.attempt, attempt);
        let job = store
            .write(|tx| {
                fail(
                    tx,
                    id,
                    &format!("boom {attempt}"),
                    true,
                    now,
                    &backoff(),
                    0.5,
                )
            })
            .unwrap();
        check_invariants(&store);
        if attempt < 3 {
            assert_eq!(job.status, JobStatus::Pending);
            let expected = backoff::delay(&backoff(), attempt, 0.5);
            assert_eq!(job.run_at, now.plus(expected));
            assert!(claim_at(&store, now.plus(expected).minus(Duration::from_millis(1))).is_none());
            now = now.plus(expected);
        } else {
            assert_eq!(job.status, JobStatus::Failed);
            assert_eq!(job.error.as_deref(), Some("boom 3"));
        }
    }
    assert!(claim_at(&store, now.plus(Duration::from_secs(86400))).is_none());
}

#[test]
fn non_retryable_failure_is_final() {
    let (_d, store, c) = setup(1);
    let id = enq(&store, c[0], JobSource::Manual, T0).job().id;
    claim_at(&store, T0).unwrap();
    let job = store
        .write(|tx| fail(tx, id, "robots.txt forbids", false, T0, &backoff(), 0.5))
        .unwrap();
    assert_eq!(job.status, JobStatus::Failed);
    check_invariants(&store);
}

#[test]
fn expired_lease_returns_job_to_pending_with_attempt_counted() {
    let (_d, store, c) = setup(1);
    let id = enq(&store, c[0], JobSource::Scheduled, T0).job().id;
    claim_at(&store, T0).unwrap();
    let early = store
        .write(|tx| rescue_expired(tx, T0.plus(LEASE).minus(Duration::from_secs(1))))
        .unwrap();
    assert!(early.is_empty());
    // A heartbeat pushes the lease out.
    let hb = T0.plus(Duration::from_secs(200));
    store
        .write(|tx| heartbeat(tx, id, hb, LEASE, 40, Default::default()))
        .unwrap();
    assert!(
        store
            .write(|tx| rescue_expired(tx, T0.plus(LEASE)))
            .unwrap()
            .is_empty()
    );
    let later = hb.plus(LEASE).plus(Duration::from_secs(1));
    let rescued = store.write(|tx| rescue_expired(tx, later)).unwrap();
    check_invariants(&store);
    assert_eq!(rescued.len(), 1);
    assert_eq!(rescued[0].status, JobStatus::Pending);
    assert_eq!(rescued[0].attempt, 1);
    assert_eq!(claim_at(&store, later).unwrap().attempt, 2);
}

#[test]
fn lease_expiry_on_last_attempt_fails_the_job() {
    let (_d, store, c) = setup(1);
    let mut req = EnqueueRequest::new(c[0], JobSource::Scheduled);
    req.max_attempts = 1;
    store.write(|tx| enqueue(tx, &req, T0)).unwrap();
    claim_at(&store, T0).unwrap();
    let rescued = store.write(|tx| rescue_all(tx, T0)).unwrap();
    assert_eq!(rescued[0].status, JobStatus::Failed);
    assert!(
        rescued[0]
            .error
            .as_deref()
            .unwrap()
            .contains("stopped before finishing")
    );
    check_invariants(&store);
}

#[test]
fn cancel_stops_heartbeats_and_retry_requeues() {
    let (_d, store, c) = setup(1);
    let id = enq(&store, c[0], JobSource::Manual, T0).job().id;
    claim_at(&store, T0).unwrap();
    store.write(|tx| cancel(tx, id, T0)).unwrap();
    check_invariants(&store);
    let err = store
        .write(|tx| heartbeat(tx, id, T0, LEASE, 10, Default::default()))
        .unwrap_err();
    assert!(err.to_string().contains("is cancelled"), "{err}");
    assert!(
        store
            .write(|tx| complete(tx, id, Default::default(), T0))
            .is_err()
    );
    let again = store.write(|tx| retry(tx, id, T0, 3)).unwrap();
    assert!(again.created());
    assert_eq!(again.job().status, JobStatus::Pending);
    assert_eq!(again.job().attempt, 0);
    check_invariants(&store);
    let err = store.write(|tx| retry(tx, id, T0, 3)).unwrap_err();
    assert!(
        err.to_string().contains("only failed or cancelled"),
        "{err}"
    );
}

#[test]
fn release_gives_the_attempt_back_and_complete_clears_active() {
    let (_d, store, c) = setup(1);
    let id = enq(&store, c[0], JobSource::Manual, T0).job().id;
    claim_at(&store, T0).unwrap();
    let released = store.write(|tx| release(tx, id, T0)).unwrap();
    assert_eq!((released.status, released.attempt), (JobStatus::Pending, 0));
    check_invariants(&store);
    claim_at(&store, T0).unwrap();
    let done = store
        .write(|tx| complete(tx, id, Default::default(), T0))
        .unwrap();
    assert_eq!((done.status, done.progress), (JobStatus::Completed, 100));
    check_invariants(&store);
    assert!(enq(&store, c[0], JobSource::Scheduled, T0).created());
}

#[test]
fn a_stale_claim_never_acts_on_a_retried_and_reclaimed_job() {
    let (_d, store, c) = setup(1);
    let id = enq(&store, c[0], JobSource::Manual, T0).job().id;
    let first = claim_at(&store, T0).unwrap();
    store.write(|tx| cancel(tx, id, T0)).unwrap();
    store.write(|tx| retry(tx, id, T0, 3)).unwrap();
    let second = claim_at(&store, T0).unwrap();
    assert_eq!(
        first.attempt, second.attempt,
        "attempt numbers repeat after a retry"
    );
    assert_ne!(first.claim, second.claim, "claim tokens never do");
    let stale = store
        .read(|rx| check_claim(rx, id, first.claim))
        .unwrap_err();
    assert!(stale.to_string().contains("no longer held"), "{stale}");
    store.read(|rx| check_claim(rx, id, second.claim)).unwrap();
    // The same after a release (graceful shutdown) and a new claim.
    store.write(|tx| release(tx, id, T0)).unwrap();
    let third = claim_at(&store, T0).unwrap();
    assert_eq!(third.attempt, second.attempt);
    assert!(store.read(|rx| check_claim(rx, id, second.claim)).is_err());
}

#[test]
fn manual_start_moves_a_pending_job_to_the_front() {
    let (_d, store, c) = setup(3);
    enq(&store, c[0], JobSource::CatchUp, T0);
    enq(&store, c[1], JobSource::CatchUp, T0);
    // c[2]'s job failed once and waits out its backoff.
    let id = enq(&store, c[2], JobSource::Scheduled, T0).job().id;
    let mut req = EnqueueRequest::new(c[2], JobSource::Manual);
    req.requested_by = Some(7);
    store
        .write(|tx| {
            let mut j = get_job(tx, id)?;
            tx.jobs_runnable.remove(super::ops::runnable_key(&j))?;
            j.run_at = T0.plus(Duration::from_secs(3600));
            tx.jobs_runnable.insert(super::ops::runnable_key(&j), ())?;
            crate::store::put_record(&mut tx.jobs, id, &j)
        })
        .unwrap();
    check_invariants(&store);
    let out = store.write(|tx| enqueue(tx, &req, T0)).unwrap();
    check_invariants(&store);
    assert!(!out.created());
    assert_eq!(out.job().id, id);
    assert_eq!(out.job().source, JobSource::Manual);
    assert_eq!(out.job().requested_by, Some(7));
    assert_eq!(claim_at(&store, T0).unwrap().id, id, "runs first, now");
}

#[test]
fn manual_jobs_per_user_are_capped_and_the_error_names_the_cap() {
    let (_d, store, c) = setup(3);
    let manual = |company: u64, user: u64| {
        let mut req = EnqueueRequest::new(company, JobSource::Manual);
        req.requested_by = Some(user);
        req.manual_cap = Some(2);
        store.write(|tx| enqueue(tx, &req, T0))
    };
    manual(c[0], 7).unwrap();
    manual(c[1], 7).unwrap();
    // Asking again for a company whose manual job is already yours is fine.
    assert!(!manual(c[1], 7).unwrap().created());
    let err = manual(c[2], 7).unwrap_err();
    assert!(matches!(err, StoreError::LimitExceeded(_)));
    assert!(
        err.to_string().contains("queue.max_manual_per_user = 2"),
        "{err}"
    );
    // Another user is not held back, and finishing a job frees a slot.
    assert!(manual(c[2], 8).unwrap().created());
    let first = claim_at(&store, T0).unwrap();
    store
        .write(|tx| complete(tx, first.id, Default::default(), T0))
        .unwrap();
    check_invariants(&store);
}

#[test]
fn retention_prunes_only_expired_finished_jobs_and_keeps_counts_right() {
    use super::retention::{Retention, prune_batch};
    let (_d, store, c) = setup(6);
    let day = Duration::from_secs(86400);
    let backoff = backoff();
    // Job per company, finished in different ways at T0.
    let finish = |company: u64, how: &str| {
        let id = enq(&store, company, JobSource::Scheduled, T0).job().id;
        if how == "pending" {
            return id;
        }
        claim_at(&store, T0).unwrap();
        store
            .write(|tx| match how {
                "completed" => complete(tx, id, Default::default(), T0).map(|_| ()),
                "failed" => fail(tx, id, "x", false, T0, &backoff, 0.5).map(|_| ()),
                "cancelled" => cancel(tx, id, T0).map(|_| ()),
                _ => Ok(()),
            })
            .unwrap();
        id
    };
    // A long head of jobs that must stay (recently failed), then old completed ones.
    let failed = finish(c[0], "failed");
    let cancelled = finish(c[1], "cancelled");
    let done: Vec<u64> = [c[3], c[4], c[5]]
        .iter()
        .map(|&x| finish(x, "completed"))
        .collect();
    let pending = finish(c[2], "pending");
    let retention = Retention {
        completed: day * 7,
        failed: day * 30,
        cancelled: day * 30,
    };
    let sweep = |now: Timestamp| {
        let mut removed = 0;
        loop {
            // A scan window of 2: kept jobs must not hide expired ones behind them.
            let b = store
                .write(|tx| prune_batch(tx, &retention, now, 2))
                .unwrap();
            removed += b.removed;
            check_invariants(&store);
            if b.wrapped {
                return removed;
            }
        }
    };
    assert_eq!(sweep(T0.plus(day * 6)), 0, "nothing expired yet");
    assert_eq!(sweep(T0.plus(day * 8)), 3, "completed after 7 days");
    let left: Vec<u64> = store
        .read(|rx| list_jobs(rx, &JobFilter::default()))
        .unwrap()
        .iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(left, vec![pending, cancelled, failed]);
    assert!(done.iter().all(|id| !left.contains(id)));
    assert_eq!(
        sweep(T0.plus(day * 31)),
        2,
        "failed and cancelled after 30 days"
    );
    assert_eq!(
        sweep(T0.plus(day * 365)),
        0,
        "an active job is never pruned"
    );
    let counts = store.read(count_by_status).unwrap();
    assert_eq!(
        (
            counts.completed,
            counts.failed,
            counts.cancelled,
            counts.pending
        ),
        (0, 0, 0, 1)
    );
}
