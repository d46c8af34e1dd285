//! Deciding which companies are due and enqueueing them.
//!
//! A pass reads every company, keeps the tracked ones that are due (interval
//! from the rank table since the last success or the last cancelled scrape;
//! never scraped = due), skips
//! those with an active job, backing off or quarantined, and enqueues the rest
//! most-overdue-first (elapsed / interval, like anacron), all in one
//! transaction together with the time of the pass. The first pass after start
//! is the catch-up pass: its jobs carry source `catch_up`.
//!
//! The pass takes `now` as an argument; the loop reads it from the clock, so
//! tests drive days of scheduling with a manual clock.

mod policy;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

pub use policy::RankPolicy;

use crate::clock::SharedClock;
use crate::model::{Company, CompanyState, Id, JobSource, Timestamp};
use crate::queue::{self, EnqueueRequest};
use crate::store::{self, Result, Store, View};

/// Meta key holding the time of the last pass (ms).
pub const LAST_PASS_KEY: &str = "scheduler.last_pass";

/// A company found due.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Due {
    pub company_id: Id,
    /// Elapsed since last success divided by the interval; infinite when never
    /// scraped.
    pub overdue: f64,
    pub rank: u8,
}

/// Which companies are due at `now`, most overdue first. Pure.
pub fn plan(companies: &[Company], now: Timestamp, policy: &RankPolicy) -> Vec<Due> {
    let mut due: Vec<Due> = companies
        .iter()
        .filter_map(|c| {
            let rank = c.effective_rank?;
            if c.health.state == CompanyState::Quarantined
                || c.health.backoff_until.is_some_and(|t| t > now)
            {
                return None;
            }
            let interval = policy.interval(rank).max(Duration::from_millis(1));
            // A cancelled scrape counts as the company's turn.
            let last_turn = c.health.last_success.max(c.health.last_cancelled);
            let overdue = match last_turn {
                None => f64::INFINITY,
                Some(last) => now.since(last).as_secs_f64() / interval.as_secs_f64(),
            };
            (overdue >= 1.0).then_some(Due {
                company_id: c.id,
                overdue,
                rank: rank.get(),
            })
        })
        .collect();
    due.sort_by(|a, b| {
        b.overdue
            .total_cmp(&a.overdue)
            .then(b.rank.cmp(&a.rank))
            .then(a.company_id.cmp(&b.company_id))
    });
    due
}

/// What a pass did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PassReport {
    pub at: Option<Timestamp>,
    pub considered: usize,
    pub due: usize,
    pub enqueued: usize,
}

/// One scheduler pass in one transaction.
pub fn run_pass(
    store: &Store,
    now: Timestamp,
    policy: &RankPolicy,
    source: JobSource,
    max_attempts: u32,
) -> Result<PassReport> {
    store.write(|tx| {
        let companies = store::list_companies(tx)?;
        let due = plan(&companies, now, policy);
        let mut enqueued = 0;
        for d in &due {
            if tx.jobs_active().get(d.company_id)?.is_some() {
                continue;
            }
            let mut req = EnqueueRequest::new(d.company_id, source);
            req.max_attempts = max_attempts;
            if queue::enqueue(tx, &req, now)?.created() {
                enqueued += 1;
            }
        }
        store::meta_set(tx, LAST_PASS_KEY, now.key())?;
        Ok(PassReport {
            at: Some(now),
            considered: companies.len(),
            due: due.len(),
            enqueued,
        })
    })
}

use redb::ReadableTable;

/// Time of the last pass, from the store.
pub fn last_pass(store: &Store) -> Result<Option<Timestamp>> {
    store.read(|rx| {
        Ok(store::meta_get(rx, LAST_PASS_KEY)?.map(|ms| Timestamp::from_millis(ms as i64)))
    })
}

/// Live scheduler state for status and readiness.
#[derive(Debug, Default)]
pub struct SchedulerState {
    last_tick_ms: AtomicI64,
    last_enqueued: AtomicI64,
}

impl SchedulerState {
    pub fn last_tick(&self) -> Option<Timestamp> {
        let ms = self.last_tick_ms.load(Ordering::Relaxed);
        (ms > 0).then(|| Timestamp::from_millis(ms))
    }

    pub fn last_enqueued(&self) -> i64 {
        self.last_enqueued.load(Ordering::Relaxed)
    }
}

/// The scheduler loop: a catch-up pass at once, then a pass every
/// `interval` or when `wake` is notified, until cancelled.
pub struct Scheduler {
    pub store: Store,
    pub clock: SharedClock,
    pub policy: RankPolicy,
    pub interval: Duration,
    pub max_attempts: u32,
    pub state: Arc<SchedulerState>,
    /// Notified after a pass that enqueued work.
    pub on_enqueue: Arc<tokio::sync::Notify>,
    pub wake: Arc<tokio::sync::Notify>,
}

impl Scheduler {
    pub async fn run(self, cancel: CancellationToken) {
        let mut source = JobSource::CatchUp;
        loop {
            let now = self.clock.now();
            let policy = self.policy.clone();
            let max_attempts = self.max_attempts;
            let result = self
                .store
                .run(move |s| run_pass(s, now, &policy, source, max_attempts))
                .await;
            match result {
                Ok(report) => {
                    self.state
                        .last_tick_ms
                        .store(now.millis(), Ordering::Relaxed);
                    self.state
                        .last_enqueued
                        .store(report.enqueued as i64, Ordering::Relaxed);
                    if report.enqueued > 0 {
                        tracing::info!(
                            enqueued = report.enqueued,
                            due = report.due,
                            companies = report.considered,
                            source = source.as_str(),
                            "scheduler pass"
                        );
                        self.on_enqueue.notify_waiters();
                    }
                }
                Err(e) => tracing::error!(error = %e, "scheduler pass failed"),
            }
            source = JobSource::Scheduled;
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(self.interval) => {}
                _ = self.wake.notified() => {}
            }
        }
    }
}

#[cfg(test)]
mod tests;
