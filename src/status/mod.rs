//! What the appliance is doing, in one report: built from the store plus the
//! live state of a running appliance, served at `/status`, written to
//! `status.json`/`status.txt` in the runtime directory and printed by
//! `scoutly status`.
//!
//! Status files are replaced atomically (write a temporary file, then rename)
//! so a reader never sees half a file.

mod text;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

pub use text::{Health, human_secs, render_text};

use crate::analyze::budget::{Budget, BudgetView};
use crate::model::{JobStatus, Timestamp};
use crate::queue::{self, ActiveCounts};
use crate::resources::shared::{ResourceView, Resources};
use crate::scheduler::SchedulerState;
use crate::store::{self, PostingFilter, Result, Store};
use crate::views::{JobView, PostingView};

fn next_cron(triggers: &[crate::config::CronTrigger], now: Timestamp) -> Option<NextCron> {
    crate::scheduler::next_fire(triggers, now).map(|(at, t)| NextCron {
        at: at.to_rfc3339(),
        expr: t.schedule.expr().to_string(),
        tz: t.schedule.tz_name().to_string(),
    })
}

/// Active jobs listed in a report (the counts cover all of them).
const MAX_ACTIVE_SHOWN: usize = 40;

/// Live facts only a running appliance knows.
#[derive(Debug, Clone)]
pub struct Live {
    pub started: Timestamp,
    pub listen: String,
    pub concurrency: usize,
    pub pass_interval: Duration,
    pub preset: String,
    pub cron: Vec<crate::config::CronTrigger>,
    pub scheduler: Arc<SchedulerState>,
    /// Readings, limits and alerts of the resource monitor.
    pub resources: Option<Arc<Resources>>,
    /// `builtin` or `openai:<model>`.
    pub analyser: String,
    /// The AI plan's limits, for a metered analyser.
    pub ai_limits: Option<crate::config::AiLimits>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    pub version: &'static str,
    pub running: bool,
    pub pid: Option<u32>,
    pub now: String,
    pub started_at: Option<String>,
    pub uptime_seconds: Option<u64>,
    pub listen: Option<String>,
    pub database: String,
    /// Durable commits since the database was opened by this process.
    pub durable_commits: u64,
    /// Routine progress committed but not yet on disk (`store.flush_interval`).
    pub unflushed: bool,
    pub queue: ActiveCounts,
    /// When the pending and running jobs are expected to be done, from each
    /// company's learnt job duration (none when the queue is empty or
    /// paused).
    pub drain: Option<crate::scheduler::duration::Drain>,
    pub active_jobs: Vec<ActiveJob>,
    pub concurrency: Concurrency,
    /// Readings, limits, why they last changed, and alerts (running only).
    pub resources: Option<ResourceView>,
    pub scheduler: SchedulerView,
    pub companies: CompanyCounts,
    pub postings: PostingCounts,
    pub analysis: AnalysisStatus,
    /// Companies needing attention, with why (the first few).
    pub attention: Vec<AttentionLine>,
    /// The latest scrape errors of companies that are failing now.
    pub recent_errors: Vec<ErrorLine>,
}

/// A company that needs attention.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttentionLine {
    pub company_name: String,
    pub reason: String,
    pub since: String,
}

/// A company's last failed scrape.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorLine {
    pub company_name: String,
    pub at: String,
    pub failures_in_a_row: u32,
    pub error: String,
}

/// Attention items and errors listed in a report (the counts cover all).
const MAX_LISTED: usize = 5;

fn attention_lines(
    companies: &[crate::model::Company],
    items: &[crate::model::AttentionItem],
) -> (Vec<AttentionLine>, Vec<ErrorLine>) {
    let name = |id| {
        companies
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.name.clone())
            .unwrap_or_default()
    };
    let attention = items
        .iter()
        .take(MAX_LISTED)
        .map(|a| AttentionLine {
            company_name: name(a.company_id),
            reason: a.reason.clone(),
            since: a.since.to_rfc3339(),
        })
        .collect();
    let mut failing: Vec<&crate::model::Company> = companies
        .iter()
        .filter(|c| c.health.consecutive_failures > 0 && c.health.last_error.is_some())
        .collect();
    failing.sort_by_key(|c| std::cmp::Reverse(c.health.last_attempt));
    let errors = failing
        .into_iter()
        .take(MAX_LISTED)
        .map(|c| ErrorLine {
            company_name: c.name.clone(),
            at: c
                .health
                .last_attempt
                .map(|t| t.to_rfc3339())
                .unwrap_or_default(),
            failures_in_a_row: c.health.consecutive_failures,
            error: c.health.last_error.clone().unwrap_or_default(),
        })
        .collect();
    (attention, errors)
}

/// The analysis backlog, the AI budget's use and the notification outbox.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisStatus {
    /// `builtin` or `openai:<model>` (running only).
    pub analyser: Option<String>,
    /// New postings waiting to be read or analysed.
    pub backlog: u64,
    /// The AI budget (a metered analyser, running only).
    pub budget: Option<BudgetView>,
    /// Notifications waiting for delivery, and given up.
    pub outbox_pending: u64,
    pub outbox_dead: u64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActiveJob {
    #[serde(flatten)]
    pub job: JobView,
    pub company_name: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Concurrency {
    /// Jobs allowed to run now (0 while paused).
    pub limit: usize,
    /// `workers.max_concurrency`.
    pub max: usize,
    /// "adaptive" (the resource controller sets `limit`) or "fixed".
    pub mode: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SchedulerView {
    pub preset: Option<String>,
    pub last_pass: Option<String>,
    pub next_pass: Option<String>,
    pub last_enqueued: Option<i64>,
    /// The next `[[schedule.cron]]` time, when triggers are configured.
    pub next_cron: Option<NextCron>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NextCron {
    pub at: String,
    pub expr: String,
    pub tz: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CompanyCounts {
    pub total: usize,
    pub tracked: usize,
    pub needing_attention: usize,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostingCounts {
    pub total: u64,
    pub new_last_24h: usize,
    pub recent: Vec<PostingView>,
}

fn concurrency(max: usize, resources: Option<&ResourceView>) -> Concurrency {
    match resources {
        Some(v) => Concurrency {
            limit: if v.limits.paused { 0 } else { v.limits.jobs },
            max,
            mode: v.mode,
        },
        None => Concurrency {
            limit: max,
            max,
            mode: "fixed",
        },
    }
}

/// Build the report at `now`.
pub fn build(store: &Store, live: Option<&Live>, now: Timestamp) -> Result<StatusReport> {
    store.read(|rx| {
        let companies = store::list_companies(rx)?;
        let attention = store::list_attention(rx)?;
        let counts = queue::count_by_status(rx)?;
        let mut active = Vec::new();
        let mut jobs = queue::active_jobs(rx)?;
        let resources = live.and_then(|l| l.resources.as_ref()).map(|r| r.view());
        let concurrency = concurrency(live.map_or(0, |l| l.concurrency), resources.as_ref());
        // Without a running appliance nothing drains.
        let workers = if live.is_some() { concurrency.limit } else { 0 };
        let drain = crate::scheduler::duration::queue_drain(rx, &companies, &jobs, workers, now)?;
        // Running first, then pending; newest first within each.
        jobs.sort_by_key(|j| j.status != JobStatus::InProgress);
        for job in jobs.into_iter().take(MAX_ACTIVE_SHOWN) {
            let company_name = companies
                .iter()
                .find(|c| c.id == job.company_id)
                .map(|c| c.name.clone())
                .unwrap_or_default();
            active.push(ActiveJob {
                job: JobView::from(&job),
                company_name,
            });
        }
        let day_ago = now.minus(Duration::from_secs(86400));
        let recent = store::list_postings(
            rx,
            &PostingFilter {
                since: Some(day_ago),
                limit: 1000,
                ..Default::default()
            },
        )?;
        let last_pass = store::meta_get(rx, crate::scheduler::LAST_PASS_KEY)?
            .map(|ms| Timestamp::from_millis(ms as i64));
        let last_pass = live.and_then(|l| l.scheduler.last_tick()).or(last_pass);
        let outbox = store::outbox::counts(rx)?;
        let (attention_list, recent_errors) = attention_lines(&companies, &attention);
        Ok(StatusReport {
            version: env!("CARGO_PKG_VERSION"),
            running: live.is_some(),
            pid: live.map(|_| std::process::id()),
            now: now.to_rfc3339(),
            started_at: live.map(|l| l.started.to_rfc3339()),
            uptime_seconds: live.map(|l| now.since(l.started).as_secs()),
            listen: live.map(|l| l.listen.clone()),
            database: store.path().display().to_string(),
            durable_commits: store.durable_commits(),
            unflushed: store.has_unflushed(),
            queue: counts,
            drain,
            active_jobs: active,
            concurrency,
            resources,
            scheduler: SchedulerView {
                preset: live.map(|l| l.preset.clone()),
                last_pass: last_pass.map(|t| t.to_rfc3339()),
                next_pass: live
                    .and_then(|l| last_pass.map(|t| t.plus(l.pass_interval).to_rfc3339())),
                last_enqueued: live.map(|l| l.scheduler.last_enqueued()),
                next_cron: live.and_then(|l| next_cron(&l.cron, now)),
            },
            companies: CompanyCounts {
                total: companies.len(),
                tracked: companies
                    .iter()
                    .filter(|c| c.effective_rank.is_some())
                    .count(),
                needing_attention: attention.len(),
            },
            postings: PostingCounts {
                total: store::count_postings(rx)?,
                new_last_24h: recent.len(),
                recent: recent.iter().take(5).map(PostingView::from).collect(),
            },
            analysis: AnalysisStatus {
                analyser: live.map(|l| l.analyser.clone()),
                backlog: store::backlog_len(rx)?,
                budget: match live.and_then(|l| l.ai_limits) {
                    Some(limits) => Some(Budget::new(limits).view(&store::budget_use(rx)?, now)),
                    None => None,
                },
                outbox_pending: outbox.0,
                outbox_dead: outbox.1,
            },
            attention: attention_list,
            recent_errors,
        })
    })
}

impl StatusReport {
    /// The view for `GET /status`, which needs no token: counts, progress and
    /// health stay; what users track and find (company names, posting titles
    /// and URLs) and local details (PID, database path) go.
    pub fn public(mut self) -> Self {
        for a in &mut self.active_jobs {
            a.company_name.clear();
        }
        self.postings.recent.clear();
        self.attention.clear();
        self.recent_errors.clear();
        self.pid = None;
        self.database.clear();
        self
    }
}

/// Replace `path` with `contents` atomically.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, contents)?;
    std::fs::rename(&tmp, path)
}

/// Write status.json and status.txt.
pub fn write_files(report: &StatusReport, json: &Path, txt: &Path) -> std::io::Result<()> {
    let body = serde_json::to_vec_pretty(report).map_err(std::io::Error::other)?;
    write_atomic(json, &body)?;
    write_atomic(txt, render_text(report).as_bytes())
}
