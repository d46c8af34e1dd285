//! The persistent job queue: every transition is one redb transaction.
//!
//! This is the narrow interface DESIGN.md asks for (enqueue, claim,
//! heartbeat, complete, fail, cancel, retry, release, rescue, list): the
//! functions in `ops` work inside a caller's transaction so a job's
//! completion can commit together with its snapshot and postings, and
//! [`Queue`] wraps them for callers that need nothing else in the transaction.
//!
//! Invariants (checked by tests after every operation):
//! 1. At most one pending or in-progress job per company (`jobs_active`).
//! 2. A pending job is in `jobs_runnable`, an in-progress job in
//!    `jobs_leases`; no other job is in either.
//! 3. `attempt` never decreases except by an explicit retry; a job is never
//!    deleted by a transition, so no job is lost.

pub mod backoff;
pub(crate) mod ops;
mod query;
pub mod retention;

use std::time::Duration;

pub use ops::{
    EnqueueRequest, Enqueued, cancel, check_claim, checkpoint_of, claim, complete, enqueue, fail,
    fail_after, get_job, heartbeat, pull_back_pending, release, rescue_all, rescue_expired, retry,
    save_checkpoint,
};
pub use query::{
    ActiveCounts, JobFilter, active_jobs, count_by_status, list_jobs, next_lease_expiry,
    next_runnable_at, page_jobs,
};

use crate::clock::SharedClock;
use crate::config::QueueConfig;
use crate::model::{Id, Job};
use crate::store::{Result, Store};

/// The queue over the store, for callers that need one transition per
/// transaction.
#[derive(Clone, Debug)]
pub struct Queue {
    store: Store,
    clock: SharedClock,
    cfg: QueueConfig,
}

impl Queue {
    pub fn new(store: Store, clock: SharedClock, cfg: QueueConfig) -> Self {
        Self { store, clock, cfg }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn config(&self) -> &QueueConfig {
        &self.cfg
    }

    pub fn lease(&self) -> Duration {
        self.cfg.lease
    }

    /// Claim the next runnable job. The claim commits lazily: after a power
    /// cut before the next flush the job is simply still pending.
    pub fn claim(&self) -> Result<Option<Job>> {
        let now = self.clock.now();
        self.store.write_lazy(|tx| claim(tx, now, self.cfg.lease))
    }

    pub fn cancel(&self, id: Id) -> Result<Job> {
        let now = self.clock.now();
        self.store.write(|tx| cancel(tx, id, now))
    }

    pub fn retry(&self, id: Id) -> Result<Enqueued> {
        let now = self.clock.now();
        self.store
            .write(|tx| retry(tx, id, now, self.cfg.max_attempts))
    }

    /// Return jobs whose lease ran out to pending (or fail them).
    pub fn rescue_expired(&self) -> Result<Vec<Job>> {
        let now = self.clock.now();
        self.store.write_lazy(|tx| rescue_expired(tx, now))
    }

    /// At start-up: every in-progress job belongs to a dead process.
    pub fn rescue_all(&self) -> Result<Vec<Job>> {
        let now = self.clock.now();
        self.store.write(|tx| rescue_all(tx, now))
    }
}

#[cfg(test)]
mod model;
#[cfg(test)]
pub(crate) mod tests;
