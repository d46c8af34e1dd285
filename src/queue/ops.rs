//! Job transitions inside a caller's transaction.

use std::time::Duration;

use redb::ReadableTable;

use super::backoff;
use crate::config::BackoffConfig;
use crate::model::{Checkpoint, Id, Job, JobCounters, JobSource, JobStatus, Timestamp};
use crate::store::{
    Result, StoreError, Tx, View, get_company, get_record, meta_get, meta_set, next_id, put_record,
    stats,
};

/// What to enqueue.
#[derive(Debug, Clone)]
pub struct EnqueueRequest {
    pub company_id: Id,
    pub source: JobSource,
    pub requested_by: Option<Id>,
    pub context: Option<String>,
    /// 0 means the queue's configured default.
    pub max_attempts: u32,
    /// For a manual request by a user: how many of that user's manual jobs
    /// may be pending or running at once (`queue.max_manual_per_user`).
    pub manual_cap: Option<u32>,
    /// Claim order within the class (0-100); default: the company's rank.
    pub urgency: Option<u8>,
}

impl EnqueueRequest {
    pub fn new(company_id: Id, source: JobSource) -> Self {
        Self {
            company_id,
            source,
            requested_by: None,
            context: None,
            max_attempts: 0,
            manual_cap: None,
            urgency: None,
        }
    }
}

/// The outcome of an enqueue: a new job, or the company's existing active one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enqueued {
    Created(Job),
    Existing(Job),
}

impl Enqueued {
    pub fn job(&self) -> &Job {
        match self {
            Enqueued::Created(j) | Enqueued::Existing(j) => j,
        }
    }
    pub fn into_job(self) -> Job {
        match self {
            Enqueued::Created(j) | Enqueued::Existing(j) => j,
        }
    }
    pub fn created(&self) -> bool {
        matches!(self, Enqueued::Created(_))
    }
}

pub fn get_job(v: &impl View, id: Id) -> Result<Job> {
    get_record(v.jobs(), id)?.ok_or_else(|| StoreError::not_found("job", id))
}

fn put(tx: &mut Tx<'_>, job: &Job) -> Result<()> {
    put_record(&mut tx.jobs, job.id, job)
}

/// The job's key in `jobs_runnable`: class, then urgency (higher first),
/// then `run_at`, then id.
pub(crate) fn runnable_key(job: &Job) -> (u8, u8, u64, u64) {
    (
        job.source.priority(),
        100 - job.urgency.min(100),
        job.run_at.key(),
        job.id,
    )
}

/// Move a job to pending at `run_at`, maintaining the indexes.
fn to_pending(tx: &mut Tx<'_>, job: &mut Job, run_at: Timestamp) -> Result<()> {
    unlease(tx, job)?;
    job.status = JobStatus::Pending;
    job.run_at = run_at;
    tx.jobs_runnable.insert(runnable_key(job), ())?;
    tx.jobs_active.insert(job.company_id, job.id)?;
    put(tx, job)
}

fn unlease(tx: &mut Tx<'_>, job: &mut Job) -> Result<()> {
    if let Some(until) = job.lease_until.take() {
        tx.jobs_leases.remove((until.key(), job.id))?;
    }
    Ok(())
}

/// Move a job to a terminal status, maintaining the indexes.
fn to_terminal(tx: &mut Tx<'_>, job: &mut Job, status: JobStatus, now: Timestamp) -> Result<()> {
    debug_assert!(status.is_terminal());
    let was_running = job.status == JobStatus::InProgress;
    if job.status == JobStatus::Pending {
        tx.jobs_runnable.remove(runnable_key(job))?;
    }
    unlease(tx, job)?;
    if tx.jobs_active.get(job.company_id)?.map(|g| g.value()) == Some(job.id) {
        tx.jobs_active.remove(job.company_id)?;
    }
    job.status = status;
    job.completed = Some(now);
    tx.job_checkpoints.remove(job.id)?;
    bump_terminal_count(tx, status, 1)?;
    put(tx, job)?;
    stats::record_finished(tx, job, was_running, now)
}

/// Meta key counting jobs in a terminal status, so counts need no scan.
pub(super) fn terminal_count_key(status: JobStatus) -> String {
    format!("jobs.count.{}", status.as_str())
}

fn bump_terminal_count(tx: &mut Tx<'_>, status: JobStatus, delta: i64) -> Result<()> {
    let key = terminal_count_key(status);
    let n = meta_get(tx, &key)?.unwrap_or(0);
    meta_set(tx, &key, n.saturating_add_signed(delta))
}

fn expect_status(job: &Job, allowed: &[JobStatus], action: &str) -> Result<()> {
    if allowed.contains(&job.status) {
        Ok(())
    } else {
        let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
        Err(StoreError::Conflict(format!(
            "job {} is {}; only {} jobs can be {action}",
            job.id,
            job.status.as_str(),
            names.join(" or ")
        )))
    }
}

/// Create a pending job for a company, or return its active job. A manual
/// request for a company whose job is still pending (behind a catch-up burst,
/// or waiting out a retry backoff) moves that job to the front: manual
/// priority, runnable now.
pub fn enqueue(tx: &mut Tx<'_>, req: &EnqueueRequest, now: Timestamp) -> Result<Enqueued> {
    let existing = tx.jobs_active.get(req.company_id)?.map(|g| g.value());
    let already_mine =
        |job: &Job| job.source == JobSource::Manual && job.requested_by == req.requested_by;
    if let (JobSource::Manual, Some(user), Some(cap)) =
        (req.source, req.requested_by, req.manual_cap)
    {
        let current = existing.map(|id| get_job(tx, id)).transpose()?;
        if !current.as_ref().is_some_and(already_mine) {
            let mine = super::query::active_jobs(tx)?
                .iter()
                .filter(|j| j.source == JobSource::Manual && j.requested_by == Some(user))
                .count();
            if mine >= cap as usize {
                return Err(StoreError::LimitExceeded(format!(
                    "user {user} already has {mine} manual scrapes pending or running, the most allowed (queue.max_manual_per_user = {cap}); wait for one to finish"
                )));
            }
        }
    }
    if let Some(existing) = existing {
        let mut job = get_job(tx, existing)?;
        let promote = req.source == JobSource::Manual
            && job.status == JobStatus::Pending
            && (job.source != JobSource::Manual || job.run_at > now);
        if promote {
            tx.jobs_runnable.remove(runnable_key(&job))?;
            job.source = JobSource::Manual;
            job.requested_by = req.requested_by.or(job.requested_by);
            let run_at = job.run_at.min(now);
            to_pending(tx, &mut job, run_at)?;
        }
        return Ok(Enqueued::Existing(job));
    }
    let company = get_company(tx, req.company_id)?;
    let id = next_id(tx, "jobs")?;
    let mut job = Job {
        id,
        company_id: req.company_id,
        source: req.source,
        requested_by: req.requested_by,
        context: req.context.clone(),
        urgency: req
            .urgency
            .unwrap_or_else(|| company.effective_rank.map_or(0, |r| r.get())),
        status: JobStatus::Pending,
        attempt: 0,
        max_attempts: req.max_attempts.max(1),
        run_at: now,
        lease_until: None,
        claim: 0,
        progress: 0,
        counters: JobCounters::default(),
        error: None,
        created: now,
        started: None,
        completed: None,
    };
    to_pending(tx, &mut job, now)?;
    Ok(Enqueued::Created(job))
}

/// Claim the next runnable job: manual before others, then earliest `run_at`,
/// then oldest id.
pub fn claim(tx: &mut Tx<'_>, now: Timestamp, lease: Duration) -> Result<Option<Job>> {
    let mut found = None;
    'classes: for class in JobSource::BY_PRIORITY {
        let p = class.priority();
        // In key order (higher rank, then older); entries not yet due are
        // only jobs waiting out a retry backoff, so few are skipped.
        for row in tx
            .jobs_runnable
            .range((p, 0, 0, 0)..=(p, u8::MAX, u64::MAX, u64::MAX))?
        {
            let key = row?.0.value();
            if key.2 <= now.key() {
                found = Some(key);
                break 'classes;
            }
        }
    }
    let Some(key) = found else { return Ok(None) };
    tx.jobs_runnable.remove(key)?;
    let mut job = get_job(tx, key.3)?;
    job.status = JobStatus::InProgress;
    job.attempt += 1;
    job.claim = next_id(tx, "claims")?;
    job.started = Some(now);
    job.error = None;
    let until = now.plus(lease);
    job.lease_until = Some(until);
    tx.jobs_leases.insert((until.key(), job.id), ())?;
    put(tx, &job)?;
    Ok(Some(job))
}

/// The job, if the claim `token` is still current (in progress, same
/// token); a conflict otherwise, which tells a worker the job is no longer
/// its own (cancelled, rescued, retried and reclaimed).
pub fn check_claim(v: &impl View, id: Id, token: u64) -> Result<Job> {
    let job = get_job(v, id)?;
    if job.status == JobStatus::InProgress && job.claim == token {
        Ok(job)
    } else {
        Err(StoreError::Conflict(format!(
            "job {id} is no longer held by this worker (now {}); its results are discarded",
            job.status.as_str()
        )))
    }
}

/// Renew a running job's lease and record its progress. Fails when the job is
/// no longer in progress (cancelled, or rescued after the lease ran out), which
/// tells the worker to stop.
pub fn heartbeat(
    tx: &mut Tx<'_>,
    id: Id,
    now: Timestamp,
    lease: Duration,
    progress: u8,
    counters: JobCounters,
) -> Result<Job> {
    let mut job = get_job(tx, id)?;
    expect_status(&job, &[JobStatus::InProgress], "heartbeated")?;
    unlease(tx, &mut job)?;
    let until = now.plus(lease);
    job.lease_until = Some(until);
    tx.jobs_leases.insert((until.key(), id), ())?;
    job.progress = progress.min(100);
    job.counters = counters;
    put(tx, &job)?;
    Ok(job)
}

/// Save how far a running job got (see [`Checkpoint`]); call it in the same
/// transaction as a [`heartbeat`] so the walk and the lease move together.
pub fn save_checkpoint(tx: &mut Tx<'_>, id: Id, checkpoint: &Checkpoint) -> Result<()> {
    let job = get_job(tx, id)?;
    expect_status(&job, &[JobStatus::InProgress], "checkpointed")?;
    put_record(&mut tx.job_checkpoints, id, checkpoint)
}

/// The checkpoint a job saved on an earlier attempt, if any. Only pending and
/// in-progress jobs have one.
pub fn checkpoint_of(v: &impl View, id: Id) -> Result<Option<Checkpoint>> {
    get_record(v.job_checkpoints(), id)
}

/// Finish a running job successfully.
pub fn complete(tx: &mut Tx<'_>, id: Id, counters: JobCounters, now: Timestamp) -> Result<Job> {
    let mut job = get_job(tx, id)?;
    expect_status(&job, &[JobStatus::InProgress], "completed")?;
    job.progress = 100;
    job.counters = counters;
    job.error = None;
    to_terminal(tx, &mut job, JobStatus::Completed, now)?;
    Ok(job)
}

/// Record a failed attempt: back to pending after a backoff while attempts
/// remain and the error is retryable, else `failed` with the error kept.
pub fn fail(
    tx: &mut Tx<'_>,
    id: Id,
    error: &str,
    retryable: bool,
    now: Timestamp,
    cfg: &BackoffConfig,
    unit: f64,
) -> Result<Job> {
    fail_after(tx, id, error, retryable, now, cfg, unit, Duration::ZERO)
}

/// [`fail`], with a retry no sooner than `at_least` from now (the server's
/// `Retry-After`, an open circuit's cool-off).
#[allow(clippy::too_many_arguments)]
pub fn fail_after(
    tx: &mut Tx<'_>,
    id: Id,
    error: &str,
    retryable: bool,
    now: Timestamp,
    cfg: &BackoffConfig,
    unit: f64,
    at_least: Duration,
) -> Result<Job> {
    let mut job = get_job(tx, id)?;
    expect_status(&job, &[JobStatus::InProgress], "failed")?;
    job.error = Some(error.to_string());
    if retryable && job.attempt < job.max_attempts {
        let wait = backoff::delay(cfg, job.attempt, unit).max(at_least);
        to_pending(tx, &mut job, now.plus(wait))?;
        stats::record_retry(tx, &job, now)?;
    } else {
        to_terminal(tx, &mut job, JobStatus::Failed, now)?;
    }
    Ok(job)
}

/// Give a running job back without counting the attempt, runnable again at
/// `run_at` (graceful shutdown; a job the appliance's own resources hold up).
pub fn release(tx: &mut Tx<'_>, id: Id, run_at: Timestamp) -> Result<Job> {
    let mut job = get_job(tx, id)?;
    expect_status(&job, &[JobStatus::InProgress], "released")?;
    job.attempt = job.attempt.saturating_sub(1);
    to_pending(tx, &mut job, run_at)?;
    Ok(job)
}

/// Cancel a pending or running job. A running job's worker notices at its
/// next heartbeat and discards its results.
pub fn cancel(tx: &mut Tx<'_>, id: Id, now: Timestamp) -> Result<Job> {
    let mut job = get_job(tx, id)?;
    expect_status(
        &job,
        &[JobStatus::Pending, JobStatus::InProgress],
        "cancelled",
    )?;
    to_terminal(tx, &mut job, JobStatus::Cancelled, now)?;
    if let Ok(mut company) = get_company(tx, job.company_id) {
        company.health.last_cancelled = Some(now);
        crate::store::put_company(tx, &company)?;
    }
    Ok(job)
}

/// Put a failed or cancelled job back to pending with fresh attempts. When the
/// company already has another active job, that one is returned instead.
pub fn retry(tx: &mut Tx<'_>, id: Id, now: Timestamp, max_attempts: u32) -> Result<Enqueued> {
    let mut job = get_job(tx, id)?;
    expect_status(&job, &[JobStatus::Failed, JobStatus::Cancelled], "retried")?;
    if let Some(active) = tx.jobs_active.get(job.company_id)?.map(|g| g.value()) {
        return Ok(Enqueued::Existing(get_job(tx, active)?));
    }
    get_company(tx, job.company_id)?;
    bump_terminal_count(tx, job.status, -1)?;
    job.attempt = 0;
    job.max_attempts = max_attempts.max(1);
    job.completed = None;
    job.progress = 0;
    to_pending(tx, &mut job, now)?;
    Ok(Enqueued::Created(job))
}

fn rescue(tx: &mut Tx<'_>, mut job: Job, now: Timestamp) -> Result<Job> {
    let msg = "the worker stopped before finishing (crash, power loss or lease expiry)";
    job.error = Some(msg.to_string());
    if job.attempt < job.max_attempts {
        to_pending(tx, &mut job, now)?;
        stats::record_retry(tx, &job, now)?;
    } else {
        to_terminal(tx, &mut job, JobStatus::Failed, now)?;
    }
    Ok(job)
}

/// Return jobs whose lease ran out to pending, their attempt counted.
pub fn rescue_expired(tx: &mut Tx<'_>, now: Timestamp) -> Result<Vec<Job>> {
    let expired: Vec<u64> = tx
        .jobs_leases
        .range((0, 0)..(now.key(), 0))?
        .map(|r| r.map(|(k, _)| k.value().1))
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for id in expired {
        let job = get_job(tx, id)?;
        out.push(rescue(tx, job, now)?);
    }
    Ok(out)
}

/// Return every in-progress job to pending: used at start-up, when no worker
/// of this process can hold a lease yet.
pub fn rescue_all(tx: &mut Tx<'_>, now: Timestamp) -> Result<Vec<Job>> {
    let running: Vec<u64> = tx
        .jobs_leases
        .iter()?
        .map(|r| r.map(|(k, _)| k.value().1))
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for id in running {
        let job = get_job(tx, id)?;
        out.push(rescue(tx, job, now)?);
    }
    Ok(out)
}

/// Make pending jobs waiting past `now` runnable now (after the wall clock
/// went back, their backoff would otherwise last as long as the jump).
pub fn pull_back_pending(tx: &mut Tx<'_>, now: Timestamp) -> Result<usize> {
    let waiting: Vec<(u8, u8, u64, u64)> = tx
        .jobs_runnable
        .iter()?
        .filter_map(|r| r.ok().map(|(k, _)| k.value()))
        .filter(|k| k.2 > now.key())
        .collect();
    for key in &waiting {
        let mut job = get_job(tx, key.3)?;
        tx.jobs_runnable.remove(*key)?;
        to_pending(tx, &mut job, now)?;
    }
    Ok(waiting.len())
}
