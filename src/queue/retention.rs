//! Pruning old finished jobs so the file reaches a plateau instead of
//! growing forever.
//!
//! Completed jobs are kept for `retention.completed`, failed and cancelled
//! ones for `retention.failed` / `retention.cancelled`. Pruning runs in small
//! batches, each its own short transaction, so claims are never held up for
//! long. Only terminal jobs are ever removed, oldest ids first, and the
//! per-status counters are decremented in the same transaction. Removing the
//! oldest jobs never shifts newer ones, so history pages (newest first) stay
//! stable while it runs.
//!
//! Each sweep also drops analytics buckets past their resolution's reach
//! (`store::stats::prune`).

use std::time::Duration;

use redb::ReadableTable;

use super::ops::terminal_count_key;
use crate::model::{Job, JobStatus, Timestamp};
use crate::store::{Result, Tx, codec, meta_get, meta_set};

/// How long finished jobs are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub completed: Duration,
    pub failed: Duration,
    pub cancelled: Duration,
}

impl Retention {
    fn keep(&self, status: JobStatus) -> Option<Duration> {
        match status {
            JobStatus::Completed => Some(self.completed),
            JobStatus::Failed => Some(self.failed),
            JobStatus::Cancelled => Some(self.cancelled),
            JobStatus::Pending | JobStatus::InProgress => None,
        }
    }

    fn expired(&self, job: &Job, now: Timestamp) -> bool {
        match (self.keep(job.status), job.completed) {
            (Some(keep), Some(done)) => now.since(done) > keep,
            _ => false,
        }
    }
}

/// Meta key: where the next batch continues. Batches sweep the id space
/// round-robin, so jobs kept once (not yet expired, or still active) are
/// looked at again on the next sweep and a long head of kept jobs never hides
/// expired ones behind it.
const CURSOR_KEY: &str = "retention.cursor";

/// What one batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PruneBatch {
    pub removed: usize,
    /// The sweep reached the newest job and starts over next time.
    pub wrapped: bool,
}

/// Look at up to `scan` jobs from the cursor on and remove the expired ones.
pub fn prune_batch(
    tx: &mut Tx<'_>,
    retention: &Retention,
    now: Timestamp,
    scan: usize,
) -> Result<PruneBatch> {
    let start = meta_get(tx, CURSOR_KEY)?.unwrap_or(0);
    let mut expired = Vec::new();
    let mut last = None;
    for row in tx.jobs.range(start..)?.take(scan.max(1)) {
        let (k, v) = row?;
        let id = k.value();
        last = Some(id);
        let job: Job = codec::decode(v.value(), &id)?;
        if retention.expired(&job, now) {
            expired.push((id, job.status));
        }
    }
    let wrapped = match last {
        None => true,
        Some(id) => tx.jobs.range(id + 1..)?.next().is_none(),
    };
    for (id, status) in &expired {
        tx.jobs.remove(*id)?;
        let key = terminal_count_key(*status);
        let n = meta_get(tx, &key)?.unwrap_or(0);
        meta_set(tx, &key, n.saturating_sub(1))?;
    }
    let next = if wrapped {
        0
    } else {
        last.map_or(0, |id| id + 1)
    };
    meta_set(tx, CURSOR_KEY, next)?;
    Ok(PruneBatch {
        removed: expired.len(),
        wrapped,
    })
}

impl From<&crate::config::RetentionConfig> for Retention {
    fn from(c: &crate::config::RetentionConfig) -> Self {
        Self {
            completed: c.completed,
            failed: c.failed,
            cancelled: c.cancelled,
        }
    }
}

/// Jobs looked at per batch (one short transaction each).
const SCAN: usize = 2_000;

/// Sweep all jobs every `every` until cancelled.
pub async fn run(
    store: crate::store::Store,
    clock: crate::clock::SharedClock,
    retention: Retention,
    every: Duration,
    cancel: tokio_util::sync::CancellationToken,
) {
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
        let mut removed = 0;
        loop {
            let now = clock.now();
            let r = store
                .run(move |s| s.write_lazy(|tx| prune_batch(tx, &retention, now, SCAN)))
                .await;
            match r {
                Ok(b) => {
                    removed += b.removed;
                    if b.wrapped {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "pruning old jobs failed; trying again later");
                    break;
                }
            }
            // Let claims and heartbeats in between batches.
            tokio::task::yield_now().await;
            if cancel.is_cancelled() {
                return;
            }
        }
        if removed > 0 {
            tracing::info!(removed, "pruned finished jobs past their retention");
        }
        let now = clock.now();
        match store
            .run(move |s| s.write_lazy(|tx| crate::store::stats::prune(tx, now)))
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::debug!(removed = n, "pruned analytics buckets past their retention"),
            Err(e) => {
                tracing::warn!(error = %e, "pruning analytics buckets failed; trying again later")
            }
        }
    }
}
