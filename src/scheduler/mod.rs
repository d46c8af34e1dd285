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

mod cron;
pub mod duration;
mod policy;
mod triggers;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use redb::ReadableTable;
use tokio_util::sync::CancellationToken;

pub use cron::{CronError, CronSchedule};
pub use policy::RankPolicy;
pub use triggers::{CronFired, next_fire};

use crate::clock::SharedClock;
use crate::model::{Company, CompanyState, Id, JobSource, Timestamp};
use crate::queue::{self, EnqueueRequest};
use crate::store::{self, Commit, Result, Store, View};

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

impl Due {
    /// Catch-up order: how overdue, weighted by rank (a rank-100 company
    /// twice overdue goes before a rank-20 company six times overdue).
    pub fn score(&self) -> f64 {
        self.overdue * (self.rank as f64 / 100.0)
    }
}

/// The rank of a company the scheduler may give a job at `now`: tracked,
/// not quarantined, not backing off.
fn schedulable_rank(c: &Company, now: Timestamp) -> Option<crate::model::Rank> {
    let rank = c.effective_rank?;
    let blocked = c.health.state == CompanyState::Quarantined
        || c.health.backoff_until.is_some_and(|t| t > now);
    (!blocked).then_some(rank)
}

/// Which companies are due at `now`, most overdue (weighted by rank) first.
/// Pure.
pub fn plan(companies: &[Company], now: Timestamp, policy: &RankPolicy) -> Vec<Due> {
    let mut due: Vec<Due> = companies
        .iter()
        .filter_map(|c| {
            let rank = schedulable_rank(c, now)?;
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
        b.score()
            .total_cmp(&a.score())
            .then(b.rank.cmp(&a.rank))
            .then(a.company_id.cmp(&b.company_id))
    });
    due
}

/// What a pass needs besides the store and the time.
#[derive(Debug, Clone)]
pub struct PassSettings {
    pub policy: RankPolicy,
    pub max_attempts: u32,
    /// The expected time between passes: a longer gap means the machine was
    /// off, asleep, or its clock moved forward.
    pub pass_interval: Duration,
    /// Scheduled and catch-up jobs one pass may create.
    pub max_enqueue: usize,
    /// Users away longer than this stop counting toward ranks.
    pub inactive_user_after: Option<Duration>,
    /// Whether this pass judges users' activity (the appliance's passes do;
    /// a pass run from the CLI leaves it alone).
    pub judge_activity: bool,
    /// Scheduled jobs expected to take longest start first.
    pub duration_order: bool,
    pub cron: Vec<crate::config::CronTrigger>,
}

impl PassSettings {
    pub fn from_config(cfg: &crate::config::Config) -> Self {
        Self {
            policy: RankPolicy::new(&cfg.schedule.bands),
            max_attempts: cfg.queue.max_attempts,
            pass_interval: cfg.scheduler.pass_interval,
            max_enqueue: cfg.scheduler.max_enqueue_per_pass,
            inactive_user_after: cfg.scheduler.inactive_user_after,
            judge_activity: false,
            duration_order: cfg.scheduler.duration_order,
            cron: cfg.schedule.cron.clone(),
        }
    }
}

/// A wall-clock jump seen between two passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockJump {
    /// Off, asleep, or the clock moved forward: this pass catches up.
    Forward(Duration),
    /// The clock moved back (NTP, a wrong RTC corrected): times recorded in
    /// the future are pulled back to now so no company waits for them.
    Backward(Duration),
}

/// Clock going back by less than this is noise, not a jump.
pub(super) const BACKWARD_SLACK: Duration = Duration::from_secs(5);

/// What a pass did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PassReport {
    pub at: Option<Timestamp>,
    pub considered: usize,
    pub due: usize,
    pub enqueued: usize,
    pub jump: Option<ClockJump>,
    /// Records pulled back from the future after a backward jump.
    pub pulled_back: usize,
    /// Cron triggers that fired in this pass.
    pub cron: Vec<CronFired>,
}

/// The time of the last pass is written to the store at least this often, so
/// an idle appliance's passes do not write on every tick.
const LAST_PASS_PERSIST: Duration = Duration::from_secs(600);

/// One scheduler pass in one transaction, committed lazily (a pass lost to a
/// power cut is simply made again). `source` is upgraded to `catch_up` when
/// the pass follows a gap. The last pass's time is read from the store.
pub fn run_pass(
    store: &Store,
    now: Timestamp,
    settings: &PassSettings,
    source: JobSource,
) -> Result<PassReport> {
    run_pass_after(store, now, settings, source, None)
}

/// [`run_pass`] for a loop that remembers its own last pass (`previous`): a
/// pass that finds nothing to do then writes nothing, except the pass time
/// every ten minutes.
pub fn run_pass_after(
    store: &Store,
    now: Timestamp,
    settings: &PassSettings,
    mut source: JobSource,
    previous: Option<Timestamp>,
) -> Result<PassReport> {
    store.write_as(|tx| {
        let persisted =
            store::meta_get(tx, LAST_PASS_KEY)?.map(|ms| Timestamp::from_millis(ms as i64));
        let last = previous.or(persisted);
        let gap = settings.pass_interval * 2 + Duration::from_secs(60);
        let jump = match last {
            Some(l) if now < l.minus(BACKWARD_SLACK) => Some(ClockJump::Backward(l.since(now))),
            Some(l) if now.since(l) > gap => Some(ClockJump::Forward(now.since(l))),
            _ => None,
        };
        let pulled_back = match jump {
            Some(ClockJump::Backward(_)) => pull_back_future(tx, now)?,
            _ => 0,
        };
        if matches!(jump, Some(ClockJump::Forward(_))) && source == JobSource::Scheduled {
            source = JobSource::CatchUp;
        }
        // Before planning: users who left stop counting, and who came back
        // count again, so their companies' effective ranks are current.
        let activity = match settings.judge_activity {
            true => store::sweep_activity(tx, now, settings.inactive_user_after)?,
            false => 0,
        };
        let companies = store::list_companies(tx)?;
        let due = plan(&companies, now, &settings.policy);
        let by_id: std::collections::HashMap<Id, &crate::model::Company> =
            match settings.duration_order {
                true if !due.is_empty() => companies.iter().map(|c| (c.id, c)).collect(),
                _ => Default::default(),
            };
        let mut enqueued = 0;
        let n = due.len().max(1);
        for (i, d) in due.iter().enumerate() {
            if enqueued >= settings.max_enqueue {
                break;
            }
            if tx.jobs_active().get(d.company_id)?.is_some() {
                continue;
            }
            let mut req = EnqueueRequest::new(d.company_id, source);
            req.max_attempts = settings.max_attempts;
            if source == JobSource::CatchUp {
                // Keep the pass's order (overdue weighted by rank) in the queue.
                req.urgency = Some((100 - (i * 100) / n) as u8);
            } else if settings.duration_order
                && let Some(c) = by_id.get(&d.company_id)
            {
                let est = store::stats::timing(tx, c.id)?;
                req.urgency = Some(duration::urgency(duration::expected(c, &est), d.rank));
            }
            if queue::enqueue(tx, &req, now)?.created() {
                enqueued += 1;
            }
        }
        let cron = triggers::fire(tx, now, &settings.cron, &companies, settings.max_attempts)?;
        // Without a remembered previous pass, cron triggers may have been
        // seen for the first time (and written): always commit then.
        let changed = previous.is_none()
            || enqueued > 0
            || pulled_back > 0
            || jump.is_some()
            || !cron.is_empty()
            || activity > 0
            || persisted.is_none_or(|p| now.since(p) >= LAST_PASS_PERSIST);
        if changed {
            store::meta_set(tx, LAST_PASS_KEY, now.key())?;
        }
        let enqueued_any = enqueued > 0 || cron.iter().any(|f| f.enqueued > 0);
        if enqueued_any {
            // The queue is deepest right after a pass fills it.
            store::stats::sample_queue(tx, now)?;
        }
        let report = PassReport {
            at: Some(now),
            considered: companies.len(),
            due: due.len(),
            enqueued: enqueued + cron.iter().map(|f| f.enqueued).sum::<usize>(),
            jump,
            pulled_back,
            cron,
        };
        Ok((
            report,
            if changed {
                Commit::Lazy
            } else {
                Commit::Unchanged
            },
        ))
    })
}

/// After the clock went back: last-success and cancel times later than `now`
/// become `now` (the company is due one interval from now, not after the
/// jump is made up), and pending jobs waiting past `now` become runnable.
fn pull_back_future(tx: &mut store::Tx<'_>, now: Timestamp) -> Result<usize> {
    let mut changed = 0;
    for mut c in store::list_companies(tx)? {
        let h = &mut c.health;
        let before = (h.last_success, h.last_cancelled, h.last_attempt);
        for t in [
            &mut h.last_success,
            &mut h.last_cancelled,
            &mut h.last_attempt,
        ] {
            if t.is_some_and(|t| t > now) {
                *t = Some(now);
            }
        }
        if before != (h.last_success, h.last_cancelled, h.last_attempt) {
            store::put_company(tx, &c)?;
            changed += 1;
        }
    }
    changed += queue::pull_back_pending(tx, now)?;
    Ok(changed)
}

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
    pub settings: PassSettings,
    pub state: Arc<SchedulerState>,
    /// Notified after a pass that enqueued work.
    pub on_enqueue: Arc<tokio::sync::Notify>,
    pub wake: Arc<tokio::sync::Notify>,
}

impl Scheduler {
    pub async fn run(self, cancel: CancellationToken) {
        let mut source = JobSource::CatchUp;
        let mut previous = None;
        loop {
            let now = self.clock.now();
            let settings = self.settings.clone();
            let result = self
                .store
                .run(move |s| run_pass_after(s, now, &settings, source, previous))
                .await;
            match result {
                Ok(report) => {
                    previous = Some(now);
                    match report.jump {
                        Some(ClockJump::Forward(d)) => tracing::info!(
                            gap = %humantime::format_duration(d),
                            "time passed since the last scheduler pass (sleep, power off or a clock change); catching up"
                        ),
                        Some(ClockJump::Backward(d)) => tracing::warn!(
                            by = %humantime::format_duration(d),
                            pulled_back = report.pulled_back,
                            "the wall clock went back; times in the future were pulled back to now"
                        ),
                        None => {}
                    }
                    for f in &report.cron {
                        tracing::info!(
                            expr = %f.expr,
                            tz = %f.tz,
                            scheduled = %f.scheduled.to_rfc3339(),
                            late = %humantime::format_duration(Duration::from_secs(now.since(f.scheduled).as_secs())),
                            enqueued = f.enqueued,
                            "cron trigger fired"
                        );
                    }
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
                            "scheduler pass"
                        );
                        self.on_enqueue.notify_waiters();
                    }
                }
                Err(e) => tracing::error!(error = %e, "scheduler pass failed"),
            }
            source = JobSource::Scheduled;
            // Wake for the next cron time if it comes before the next pass.
            let until_cron = triggers::next_fire(&self.settings.cron, now)
                .map(|(t, _)| t.since(now) + Duration::from_millis(10));
            let nap = until_cron.map_or(self.settings.pass_interval, |d| {
                d.min(self.settings.pass_interval)
            });
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(nap) => {}
                _ = self.wake.notified() => {}
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
