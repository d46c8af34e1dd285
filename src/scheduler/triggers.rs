//! Firing `[[schedule.cron]]` triggers inside a scheduler pass.
//!
//! Each trigger's last firing is persisted in `meta` under a key made of its
//! expression and zone, so a restart neither repeats nor forgets it, and an
//! edited expression starts afresh (it first fires at its next time, not
//! retroactively).
//!
//! Invariants:
//! - A trigger fires at most once per pass, however many of its times were
//!   missed while the machine was off or asleep (anacron's rule): missed
//!   times collapse into one firing on wake.
//! - Firing enqueues one `cron` job per schedulable company at or above the
//!   trigger's `min_rank`; a company with an active job keeps that job.
//! - A last firing recorded in the future (the wall clock went back by more
//!   than the slack) is pulled back to now, like the other times the
//!   scheduler keeps; within the slack it is kept, so clock noise never
//!   fires a trigger twice.

use redb::ReadableTable;

use super::{BACKWARD_SLACK, schedulable_rank};
use crate::config::CronTrigger;
use crate::model::{Company, JobSource, Timestamp};
use crate::queue::{self, EnqueueRequest};
use crate::store::{self, Result, Tx, View};

/// A trigger that fired, for the pass report and the log.
#[derive(Debug, Clone, PartialEq)]
pub struct CronFired {
    pub expr: String,
    pub tz: String,
    /// Its first time since the last firing: the time it fired for, or
    /// after downtime the earliest of the times it missed.
    pub scheduled: Timestamp,
    pub enqueued: usize,
}

fn meta_key(t: &CronTrigger) -> String {
    format!(
        "scheduler.cron_last:{}@{}",
        t.schedule.expr(),
        t.schedule.tz_name()
    )
}

/// Fire every trigger whose next time after its last firing has come.
pub(super) fn fire(
    tx: &mut Tx<'_>,
    now: Timestamp,
    triggers: &[CronTrigger],
    companies: &[Company],
    max_attempts: u32,
) -> Result<Vec<CronFired>> {
    let mut fired = Vec::new();
    for t in triggers {
        let key = meta_key(t);
        let last = store::meta_get(tx, &key)?.map(|ms| Timestamp::from_millis(ms as i64));
        let last = match last {
            Some(l) if l <= now.plus(BACKWARD_SLACK) => l,
            // Never seen (new trigger) or far in the future: start from now.
            _ => {
                store::meta_set(tx, &key, now.key())?;
                continue;
            }
        };
        let Some(scheduled) = t.schedule.next_after(last).filter(|&n| n <= now) else {
            continue;
        };
        store::meta_set(tx, &key, now.key())?;
        let mut enqueued = 0;
        for c in companies {
            let Some(rank) = schedulable_rank(c, now) else {
                continue;
            };
            if rank.get() < t.min_rank || tx.jobs_active().get(c.id)?.is_some() {
                continue;
            }
            let mut req = EnqueueRequest::new(c.id, JobSource::Cron);
            req.max_attempts = max_attempts;
            if queue::enqueue(tx, &req, now)?.created() {
                enqueued += 1;
            }
        }
        fired.push(CronFired {
            expr: t.schedule.expr().to_string(),
            tz: t.schedule.tz_name().to_string(),
            scheduled,
            enqueued,
        });
    }
    Ok(fired)
}

/// The earliest time after `now` at which any trigger fires, and that trigger.
pub fn next_fire(triggers: &[CronTrigger], now: Timestamp) -> Option<(Timestamp, &CronTrigger)> {
    triggers
        .iter()
        .filter_map(|t| Some((t.schedule.next_after(now)?, t)))
        .min_by_key(|(at, _)| *at)
}

#[cfg(test)]
mod tests;
