//! Alert rules over the job history, with memory: each fires once when its
//! condition starts and once more when it clears ("recovered"), never once
//! per check. They join the resource monitor's alerts (heat, memory, disk,
//! power) in the same list, so `/status`, `scoutly status`, the dashboard
//! and `/metrics` show them, and the operator's sinks hear them.
//!
//! - `failure_rate`: more than `alerts.failure_rate` of the scrapes that
//!   ended within `alerts.failure_window` failed (at least
//!   `alerts.failure_min_jobs` of them ended). Once open, it ends only under
//!   [`FAILURE_RATE_CLEAR`] of the rate, and stays while too few jobs end
//!   to judge. Once open, it ends only under
//!   [`FAILURE_RATE_CLEAR`] of the rate, and stays while too few jobs end
//!   to judge.
//! - `no_success`: companies are tracked, but no scrape succeeded for
//!   `alerts.no_success_after` (counted from the start when none ever did).
//! - `queue_stalled`: a job has been runnable for `alerts.stall_after` and
//!   no job ended in that time, while work is not held back on purpose
//!   (heat, battery).
//!
//! The analysis backlog (`backlog`), quarantines (`quarantined`) and the
//! machine's alerts are raised where they happen.
//!
//! Cost: one read transaction per check, reading the active jobs (at most
//! one per company), the jobs created since a day before the window (newest
//! first, at most [`MAX_SCAN`]) and the company list.

use std::sync::Arc;
use std::time::Duration;

use redb::ReadableTable;
use tokio_util::sync::CancellationToken;

use crate::clock::SharedClock;
use crate::config::AlertsConfig;
use crate::model::{Job, JobStatus, Timestamp};
use crate::resources::shared::Resources;
use crate::store::{self, Store, View};

/// The alert kinds these rules raise and end.
pub const RULE_ALERTS: &[&str] = &["failure_rate", "no_success", "queue_stalled"];

/// Most jobs one check reads.
pub const MAX_SCAN: usize = 20_000;

/// What the job history says, for the rules.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// Jobs that ended (completed or failed) in the failure window.
    pub ended: u64,
    pub failed: u64,
    /// The newest end of any job.
    pub last_end: Option<Timestamp>,
    /// The oldest time a pending job became runnable.
    pub oldest_runnable: Option<Timestamp>,
    /// Tracked companies, and the newest success among them.
    pub tracked: usize,
    pub last_success: Option<Timestamp>,
}

/// Read the history the rules need.
pub fn history(v: &impl View, cfg: &AlertsConfig, now: Timestamp) -> store::Result<History> {
    let mut h = History::default();
    let window = now.minus(cfg.failure_window);
    // Retries can stretch a job over hours: look back a day past the window.
    let horizon = window.minus(Duration::from_secs(86_400));
    // At most one job per company waits or runs: the active index is small.
    for job in crate::queue::active_jobs(v)? {
        if job.status == JobStatus::Pending && job.run_at <= now {
            h.oldest_runnable = Some(h.oldest_runnable.map_or(job.run_at, |t| t.min(job.run_at)));
        }
    }
    for row in v.jobs().iter()?.rev().take(MAX_SCAN) {
        let (k, val) = row?;
        let job: Job = store::codec::decode(val.value(), &k.value())?;
        if let (Some(end), true) = (
            job.completed,
            matches!(job.status, JobStatus::Completed | JobStatus::Failed),
        ) {
            h.last_end = Some(h.last_end.map_or(end, |t| t.max(end)));
            if end >= window && end <= now {
                h.ended += 1;
                h.failed += u64::from(job.status == JobStatus::Failed);
            }
        }
        if job.created < horizon {
            break;
        }
    }
    for c in store::list_companies(v)? {
        if c.effective_rank.is_some() {
            h.tracked += 1;
            h.last_success = h.last_success.max(c.health.last_success);
        }
    }
    Ok(h)
}

/// Share of `alerts.failure_rate` under which an open `failure_rate` alert
/// ends, so a rate hovering at the threshold does not fire again and again.
pub const FAILURE_RATE_CLEAR: f64 = 0.8;

/// The rule alerts that hold, given the history; `started` is when the
/// appliance started, `open` the kinds open now (an open alert holds on a
/// little longer than it takes to raise one, so it never flaps).
pub fn conditions(
    h: &History,
    cfg: &AlertsConfig,
    now: Timestamp,
    started: Timestamp,
    open: &[&str],
) -> Vec<(&'static str, String)> {
    let mut found = Vec::new();
    let human =
        |d: Duration| humantime::format_duration(Duration::from_secs(d.as_secs())).to_string();
    let failing_open = open.contains(&"failure_rate");
    let threshold = match failing_open {
        true => cfg.failure_rate * FAILURE_RATE_CLEAR,
        false => cfg.failure_rate,
    };
    // Too few ended to judge: an open alert stays as it is.
    let judged = h.ended >= cfg.failure_min_jobs;
    if (judged && h.failed as f64 > threshold * h.ended as f64) || (!judged && failing_open) {
        found.push((
            "failure_rate",
            format!(
                "{} of {} scrapes in the last {} failed (alert above {:.0} %); see `scoutly attention` and the jobs' errors",
                h.failed,
                h.ended,
                human(cfg.failure_window),
                cfg.failure_rate * 100.0
            ),
        ));
    }
    let since = h.last_success.map_or(started, |s| s.max(started));
    if h.tracked > 0 && now.since(since) > cfg.no_success_after {
        found.push((
            "no_success",
            format!(
                "no scrape of the {} tracked companies succeeded for {}; check the network and `scoutly attention`",
                h.tracked,
                human(now.since(since))
            ),
        ));
    }
    if let Some(waiting) = h.oldest_runnable {
        let idle = h.last_end.map_or(started, |e| e.max(started));
        if now.since(waiting) > cfg.stall_after && now.since(idle) > cfg.stall_after {
            found.push((
                "queue_stalled",
                format!(
                    "a job has waited {} to run and none ended meanwhile; see `scoutly status` (limits, holds) and the log",
                    human(now.since(waiting))
                ),
            ));
        }
    }
    found
}

/// Check the rules every `alerts.interval` until cancelled.
pub async fn run(
    store: Store,
    resources: Arc<Resources>,
    clock: SharedClock,
    cfg: AlertsConfig,
    cancel: CancellationToken,
) {
    let started = clock.now();
    loop {
        let now = clock.now();
        let c = cfg.clone();
        match store.run(move |s| s.read(|rx| history(rx, &c, now))).await {
            Ok(h) => {
                let open: Vec<&str> = RULE_ALERTS
                    .iter()
                    .copied()
                    .filter(|k| resources.is_open(k))
                    .collect();
                let mut holding = conditions(&h, &cfg, now, started, &open);
                // A queue held back on purpose (heat, battery) is not stalled.
                if resources.view().limits.paused {
                    holding.retain(|(k, _)| *k != "queue_stalled");
                }
                resources.reconcile_owned(now, RULE_ALERTS, holding);
            }
            Err(e) => tracing::warn!(error = %e, "cannot check the alert rules"),
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(cfg.interval) => {}
        }
    }
}

#[cfg(test)]
mod tests;
