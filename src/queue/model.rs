//! Model-based test of the queue: random sequences of operations, including
//! time passing, lease expiry and restarts (the store closed and reopened, as
//! after a crash), run against both the redb queue and a plain in-memory
//! model. After every step the two must agree job by job, and the store's
//! indexes and counters must agree with its records.
//!
//! CI runs a fixed number of cases from a fixed seed; set `PROPTEST_CASES` for
//! a longer run (see bench/README.md).

use std::collections::BTreeMap;
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use super::tests::check_invariants;
use super::*;
use crate::config::Config as AppConfig;
use crate::model::{JobSource, JobStatus, Timestamp};
use crate::store::{Store, insert_company};

const COMPANIES: u8 = 4;
/// Effective rank of company `i + 1`; two share a rank so age decides.
const RANKS: [u8; COMPANIES as usize] = [30, 90, 30, 60];
const LEASE: Duration = Duration::from_secs(60);
const MAX_ATTEMPTS: u32 = 3;
const T0: Timestamp = Timestamp::from_millis(1_700_000_000_000);

#[derive(Debug, Clone)]
enum Op {
    Enqueue { company: u8, source: u8 },
    Claim,
    Heartbeat(u8),
    Complete(u8),
    Fail { pick: u8, retryable: bool },
    Cancel(u8),
    Retry(u8),
    Release(u8),
    Advance(u16),
    RescueExpired,
    Restart,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..COMPANIES, 0..4u8).prop_map(|(company, source)| Op::Enqueue { company, source }),
        3 => Just(Op::Claim),
        1 => any::<u8>().prop_map(Op::Heartbeat),
        2 => any::<u8>().prop_map(Op::Complete),
        2 => (any::<u8>(), any::<bool>()).prop_map(|(pick, retryable)| Op::Fail { pick, retryable }),
        1 => any::<u8>().prop_map(Op::Cancel),
        1 => any::<u8>().prop_map(Op::Retry),
        1 => any::<u8>().prop_map(Op::Release),
        2 => (1..200u16).prop_map(Op::Advance),
        // Exactly one lease: probes the expiry boundary.
        1 => Just(Op::Advance(LEASE.as_secs() as u16)),
        1 => Just(Op::RescueExpired),
        1 => Just(Op::Restart),
    ]
}

/// What the model knows of a job.
#[derive(Debug, Clone, PartialEq)]
struct MJob {
    company: u64,
    source: JobSource,
    status: JobStatus,
    attempt: u32,
    run_at: Timestamp,
    lease_until: Option<Timestamp>,
}

#[derive(Default)]
struct Model {
    jobs: BTreeMap<u64, MJob>,
    next_id: u64,
}

impl Model {
    fn active_of(&self, company: u64) -> Option<u64> {
        self.jobs
            .iter()
            .find(|(_, j)| j.company == company && j.status.is_active())
            .map(|(id, _)| *id)
    }

    fn pick(&self, n: u8, status: Option<JobStatus>) -> Option<u64> {
        let ids: Vec<u64> = self
            .jobs
            .iter()
            .filter(|(_, j)| status.is_none_or(|s| j.status == s))
            .map(|(id, _)| *id)
            .collect();
        (!ids.is_empty()).then(|| ids[n as usize % ids.len()])
    }

    fn enqueue(&mut self, company: u64, source: JobSource, now: Timestamp) {
        if let Some(id) = self.active_of(company) {
            let j = self.jobs.get_mut(&id).unwrap();
            if source == JobSource::Manual
                && j.status == JobStatus::Pending
                && (j.source != JobSource::Manual || j.run_at > now)
            {
                j.source = JobSource::Manual;
                j.run_at = j.run_at.min(now);
            }
            return;
        }
        self.next_id += 1;
        let job = MJob {
            company,
            source,
            status: JobStatus::Pending,
            attempt: 0,
            run_at: now,
            lease_until: None,
        };
        self.jobs.insert(self.next_id, job);
    }

    fn claim(&mut self, now: Timestamp) -> Option<u64> {
        let id = self
            .jobs
            .iter()
            .filter(|(_, j)| j.status == JobStatus::Pending && j.run_at <= now)
            .min_by_key(|(id, j)| {
                let rank = RANKS[j.company as usize - 1];
                (j.source.priority(), 100 - rank, j.run_at, **id)
            })
            .map(|(id, _)| *id)?;
        let j = self.jobs.get_mut(&id).unwrap();
        j.status = JobStatus::InProgress;
        j.attempt += 1;
        j.lease_until = Some(now.plus(LEASE));
        Some(id)
    }

    fn to_pending(j: &mut MJob, at: Timestamp) {
        j.status = JobStatus::Pending;
        j.run_at = at;
        j.lease_until = None;
    }

    fn to_terminal(j: &mut MJob, status: JobStatus) {
        j.status = status;
        j.lease_until = None;
    }

    fn rescue(j: &mut MJob, now: Timestamp) {
        if j.attempt < MAX_ATTEMPTS {
            Self::to_pending(j, now);
        } else {
            Self::to_terminal(j, JobStatus::Failed);
        }
    }
}

struct World {
    dir: tempfile::TempDir,
    store: Option<Store>,
    model: Model,
    now: Timestamp,
}

impl World {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("q.redb")).unwrap();
        store
            .write(|tx| {
                let u = crate::store::insert_user(tx, "u", crate::model::Role::User, [0; 32], T0)?;
                for c in 0..COMPANIES {
                    let company =
                        insert_company(tx, crate::store::tests::company(&format!("c{c}")), T0)?;
                    let rank = crate::model::Rank::new(RANKS[c as usize] as i64).unwrap();
                    crate::store::track(tx, u.id, company.id, rank, T0)?;
                }
                Ok(())
            })
            .unwrap();
        Self {
            dir,
            store: Some(store),
            model: Model::default(),
            now: T0,
        }
    }

    fn store(&self) -> &Store {
        self.store.as_ref().unwrap()
    }

    fn apply(&mut self, op: &Op) {
        let now = self.now;
        let backoff = AppConfig::defaults().queue.backoff;
        let running = |m: &Model, n: u8| m.pick(n, Some(JobStatus::InProgress));
        match *op {
            Op::Enqueue { company, source } => {
                let source = JobSource::BY_PRIORITY[source as usize];
                let mut req = EnqueueRequest::new(company as u64 + 1, source);
                req.max_attempts = MAX_ATTEMPTS;
                self.store().write(|tx| enqueue(tx, &req, now)).unwrap();
                self.model.enqueue(company as u64 + 1, source, now);
            }
            Op::Claim => {
                let got = self.store().write(|tx| claim(tx, now, LEASE)).unwrap();
                let want = self.model.claim(now);
                assert_eq!(got.map(|j| j.id), want, "claim order");
            }
            Op::Heartbeat(n) => {
                if let Some(id) = running(&self.model, n) {
                    // Odd picks also save a checkpoint, as a paginated scrape does.
                    let cp = crate::model::Checkpoint::start(vec![format!("https://c/{id}")]);
                    self.store()
                        .write(|tx| {
                            heartbeat(tx, id, now, LEASE, 50, Default::default())?;
                            if n % 2 == 1 {
                                save_checkpoint(tx, id, &cp)?;
                            }
                            Ok(())
                        })
                        .unwrap();
                    self.model.jobs.get_mut(&id).unwrap().lease_until = Some(now.plus(LEASE));
                }
            }
            Op::Complete(n) => {
                if let Some(id) = running(&self.model, n) {
                    self.store()
                        .write(|tx| complete(tx, id, Default::default(), now))
                        .unwrap();
                    Model::to_terminal(self.model.jobs.get_mut(&id).unwrap(), JobStatus::Completed);
                }
            }
            Op::Fail { pick, retryable } => {
                if let Some(id) = running(&self.model, pick) {
                    self.store()
                        .write(|tx| fail(tx, id, "boom", retryable, now, &backoff, 0.5))
                        .unwrap();
                    let j = self.model.jobs.get_mut(&id).unwrap();
                    if retryable && j.attempt < MAX_ATTEMPTS {
                        let wait = backoff::delay(&backoff, j.attempt, 0.5);
                        Model::to_pending(j, now.plus(wait));
                    } else {
                        Model::to_terminal(j, JobStatus::Failed);
                    }
                }
            }
            Op::Cancel(n) => {
                if let Some(id) = self.model.pick(n, None) {
                    let r = self.store().write(|tx| cancel(tx, id, now));
                    let j = self.model.jobs.get_mut(&id).unwrap();
                    assert_eq!(r.is_ok(), j.status.is_active(), "cancel of {j:?}");
                    if j.status.is_active() {
                        Model::to_terminal(j, JobStatus::Cancelled);
                    }
                }
            }
            Op::Retry(n) => {
                if let Some(id) = self.model.pick(n, None) {
                    let r = self.store().write(|tx| retry(tx, id, now, MAX_ATTEMPTS));
                    let company = self.model.jobs[&id].company;
                    let retryable = matches!(
                        self.model.jobs[&id].status,
                        JobStatus::Failed | JobStatus::Cancelled
                    );
                    assert_eq!(r.is_ok(), retryable, "retry of {:?}", self.model.jobs[&id]);
                    if retryable && self.model.active_of(company).is_none() {
                        let j = self.model.jobs.get_mut(&id).unwrap();
                        j.attempt = 0;
                        Model::to_pending(j, now);
                    }
                }
            }
            Op::Release(n) => {
                if let Some(id) = running(&self.model, n) {
                    self.store().write(|tx| release(tx, id, now)).unwrap();
                    let j = self.model.jobs.get_mut(&id).unwrap();
                    j.attempt -= 1;
                    Model::to_pending(j, now);
                }
            }
            Op::Advance(secs) => self.now = now.plus(Duration::from_secs(secs as u64)),
            Op::RescueExpired => {
                self.store().write(|tx| rescue_expired(tx, now)).unwrap();
                for j in self.model.jobs.values_mut() {
                    if j.status == JobStatus::InProgress && j.lease_until.is_some_and(|t| t < now) {
                        Model::rescue(j, now);
                    }
                }
            }
            Op::Restart => {
                // Close (as a crash would) and reopen; the appliance's start-up
                // returns every job left running to pending.
                self.store = None;
                let store = Store::open(&self.dir.path().join("q.redb")).unwrap();
                store.write(|tx| rescue_all(tx, now)).unwrap();
                self.store = Some(store);
                for j in self.model.jobs.values_mut() {
                    if j.status == JobStatus::InProgress {
                        Model::rescue(j, now);
                    }
                }
            }
        }
    }

    fn compare(&self, previous: &BTreeMap<u64, u32>) {
        let store = self.store();
        check_invariants(store);
        let jobs = store
            .read(|rx| list_jobs(rx, &JobFilter::default()))
            .unwrap();
        assert_eq!(jobs.len(), self.model.jobs.len(), "no job lost or invented");
        for job in &jobs {
            let m = &self.model.jobs[&job.id];
            let got = MJob {
                company: job.company_id,
                source: job.source,
                status: job.status,
                attempt: job.attempt,
                run_at: job.run_at,
                lease_until: job.lease_until,
            };
            assert_eq!(&got, m, "job {}", job.id);
            assert!(job.created <= job.run_at, "run_at before creation: {job:?}");
            if let Some(started) = job.started {
                assert!(job.created <= started, "{job:?}");
            }
            assert_eq!(
                job.completed.is_some(),
                job.status.is_terminal(),
                "completion time: {job:?}"
            );
            if let Some(&before) = previous.get(&job.id) {
                // Attempts only go down through retry (to 0) or release (by one).
                assert!(
                    job.attempt >= before || job.status == JobStatus::Pending,
                    "{job:?}"
                );
            }
        }
    }

    fn attempts(&self) -> BTreeMap<u64, u32> {
        self.model
            .jobs
            .iter()
            .map(|(id, j)| (*id, j.attempt))
            .collect()
    }
}

#[test]
fn queue_matches_the_model_under_random_operations() {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48);
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    // A fixed seed: CI explores the same sequences every run.
    let seed = [7u8; 32];
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
    runner
        .run(&proptest::collection::vec(op(), 1..80), |ops| {
            let mut world = World::new();
            for op in &ops {
                let before = world.attempts();
                world.apply(op);
                world.compare(&before);
            }
            Ok(())
        })
        .unwrap();
}
