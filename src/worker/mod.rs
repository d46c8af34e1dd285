//! The worker pool: claims jobs and runs each one's pipeline.
//!
//! `workers.max_concurrency` tasks each loop: permit → claim → run →
//! commit. A permit comes from the resource controller's job gate, so at
//! most its current limit of jobs run (in-flight jobs finish when it
//! drops). Idle
//! workers wait for an enqueue notification or the next job's `run_at`,
//! checking with read-only transactions so an idle appliance does not write.
//! A rescuer returns jobs with expired leases to pending.
//!
//! Shutdown: on cancel, workers stop claiming; an in-flight job gets
//! `workers.shutdown_grace` to finish, after which its lease is released
//! (the attempt is not counted) and the job waits for the next start.

pub mod analysis;
mod failure;
mod pipeline;
mod read;
mod walk;

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use pipeline::{JobOutcome, Pipeline};

use crate::clock::SharedClock;
use crate::queue::{self, Queue};
use crate::resources::gate::Gate;

/// Longest idle wait before looking at the queue again.
const IDLE_POLL: Duration = Duration::from_secs(30);

/// When the worker pool last showed it is alive, for the watchdog: every
/// worker loop round (at least every 30 s, also while held back)
/// and every heartbeat of a running job.
#[derive(Debug, Default)]
pub struct Beat(std::sync::atomic::AtomicI64);

impl Beat {
    pub fn beat(&self, now: crate::model::Timestamp) {
        self.0
            .store(now.millis(), std::sync::atomic::Ordering::Relaxed);
    }

    pub fn last(&self) -> Option<crate::model::Timestamp> {
        let ms = self.0.load(std::sync::atomic::Ordering::Relaxed);
        (ms > 0).then(|| crate::model::Timestamp::from_millis(ms))
    }
}

#[derive(Clone)]
pub struct WorkerPool {
    pub pipeline: Arc<Pipeline>,
    pub queue: Queue,
    pub clock: SharedClock,
    pub concurrency: usize,
    /// Permits for running jobs; its limit is the controller's.
    pub jobs: Arc<Gate>,
    pub grace: Duration,
    /// Notified when jobs are enqueued.
    pub work_available: Arc<tokio::sync::Notify>,
}

impl WorkerPool {
    /// Spawn the workers and the rescuer on `tracker`.
    pub fn spawn(&self, tracker: &TaskTracker, cancel: CancellationToken) {
        for n in 0..self.concurrency {
            let pool = self.clone();
            let cancel = cancel.clone();
            tracker.spawn(async move { pool.worker(n, cancel).await });
        }
        let pool = self.clone();
        tracker.spawn(async move { pool.rescuer(cancel).await });
    }

    async fn worker(self, n: usize, cancel: CancellationToken) {
        tracing::debug!(worker = n, "worker started");
        'work: while !cancel.is_cancelled() {
            // Register interest before looking, so an enqueue between the
            // look and the wait is not missed.
            let notified = self.work_available.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            // While held back (limit 0: paused, overheated), keep beating.
            let permit = loop {
                self.pipeline.beat.beat(self.clock.now());
                tokio::select! {
                    _ = cancel.cancelled() => break 'work,
                    p = self.jobs.acquire() => break p,
                    _ = tokio::time::sleep(IDLE_POLL) => {}
                }
            };
            let Some(permit) = permit else { break };
            match self.try_claim().await {
                Ok(Some(job)) => {
                    self.pipeline.run(job, &cancel, self.grace).await;
                    drop(permit);
                    continue;
                }
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "claiming a job failed"),
            }
            drop(permit);
            let wait = self.idle_wait().await;
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = &mut notified => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
        tracing::debug!(worker = n, "worker stopped");
    }

    async fn try_claim(&self) -> crate::store::Result<Option<crate::model::Job>> {
        let now = self.clock.now();
        let ready = self
            .queue
            .store()
            .run(move |s| s.read(|rx| queue::next_runnable_at(rx, now)))
            .await?
            .is_some_and(|t| t <= now);
        if !ready {
            return Ok(None);
        }
        let q = self.queue.clone();
        self.queue.store().run(move |_| q.claim()).await
    }

    async fn idle_wait(&self) -> Duration {
        let now = self.clock.now();
        let next = self
            .queue
            .store()
            .run(move |s| s.read(|rx| queue::next_runnable_at(rx, now)))
            .await
            .ok()
            .flatten();
        match next {
            Some(t) => t.since(now).clamp(Duration::from_millis(50), IDLE_POLL),
            None => IDLE_POLL,
        }
    }

    async fn rescuer(self, cancel: CancellationToken) {
        let period =
            (self.queue.lease() / 4).clamp(Duration::from_millis(100), Duration::from_secs(30));
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(period) => {}
            }
            let now = self.clock.now();
            let q = self.queue.clone();
            let expired = self
                .queue
                .store()
                .run(move |s| {
                    let due = s.read(queue::next_lease_expiry)?.is_some_and(|t| t < now);
                    if due {
                        q.rescue_expired()
                    } else {
                        Ok(Vec::new())
                    }
                })
                .await;
            match expired {
                Ok(jobs) if !jobs.is_empty() => {
                    tracing::warn!(
                        count = jobs.len(),
                        "returned jobs with expired leases to pending"
                    );
                    self.work_available.notify_waiters();
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "lease rescue failed"),
            }
        }
    }
}
