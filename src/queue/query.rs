//! Read-only queue queries: listing, counts, next runnable time, next lease
//! expiry. They work in either kind of transaction.

use redb::{ReadableTable, ReadableTableMetadata};

use crate::model::{Id, Job, JobStatus, Timestamp};
use crate::store::{Result, View, meta_get};

/// Which jobs to list.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    pub status: Option<JobStatus>,
    pub company: Option<Id>,
    /// Only jobs of these companies (a user's view).
    pub companies: Option<Vec<Id>>,
    /// Only jobs created at or after this ...
    pub created_from: Option<crate::model::Timestamp>,
    /// ... and before this.
    pub created_to: Option<crate::model::Timestamp>,
    pub limit: usize,
    pub offset: usize,
}

/// Jobs, newest first.
pub fn list_jobs(v: &impl View, filter: &JobFilter) -> Result<Vec<Job>> {
    let mut out = Vec::new();
    let mut skipped = 0;
    for row in v.jobs().iter()?.rev() {
        let (k, val) = row?;
        let job: Job = crate::store::codec::decode(val.value(), &k.value())?;
        if !matches(filter, &job) {
            continue;
        }
        if skipped < filter.offset {
            skipped += 1;
            continue;
        }
        out.push(job);
        if filter.limit > 0 && out.len() >= filter.limit {
            break;
        }
    }
    Ok(out)
}

/// One page of the jobs matching `filter` (newest first, `filter.offset` and
/// `filter.limit` apply) and how many match in all. Memory is bounded by the
/// page; without a company or date filter the total comes from the counters
/// and the scan stops at the end of the page.
pub fn page_jobs(v: &impl View, filter: &JobFilter) -> Result<(Vec<Job>, u64)> {
    let narrowed = filter.company.is_some()
        || filter.companies.is_some()
        || filter.created_from.is_some()
        || filter.created_to.is_some();
    let known_total = if narrowed {
        None
    } else {
        let c = count_by_status(v)?;
        Some(match filter.status {
            None => c.pending + c.in_progress + c.completed + c.failed + c.cancelled,
            Some(JobStatus::Pending) => c.pending,
            Some(JobStatus::InProgress) => c.in_progress,
            Some(JobStatus::Completed) => c.completed,
            Some(JobStatus::Failed) => c.failed,
            Some(JobStatus::Cancelled) => c.cancelled,
        })
    };
    let mut page = Vec::new();
    let mut matched = 0u64;
    for row in v.jobs().iter()?.rev() {
        let (k, val) = row?;
        let job: Job = crate::store::codec::decode(val.value(), &k.value())?;
        if !matches(filter, &job) {
            continue;
        }
        matched += 1;
        if matched as usize > filter.offset && page.len() < filter.limit {
            page.push(job);
        } else if known_total.is_some() && page.len() >= filter.limit {
            break;
        }
    }
    Ok((page, known_total.unwrap_or(matched)))
}

fn matches(filter: &JobFilter, job: &Job) -> bool {
    !(filter.status.is_some_and(|s| s != job.status)
        || filter.company.is_some_and(|c| c != job.company_id)
        || filter
            .companies
            .as_ref()
            .is_some_and(|cs| !cs.contains(&job.company_id))
        || filter.created_from.is_some_and(|t| job.created < t)
        || filter.created_to.is_some_and(|t| job.created >= t))
}

/// Number of jobs per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActiveCounts {
    pub pending: u64,
    pub in_progress: u64,
    pub completed: u64,
    pub failed: u64,
    pub cancelled: u64,
}

/// Jobs per status, in constant time: pending and in-progress jobs are the
/// lengths of their indexes, terminal ones are counted by the transitions.
pub fn count_by_status(v: &impl View) -> Result<ActiveCounts> {
    let terminal = |s: JobStatus| -> Result<u64> {
        Ok(meta_get(v, &super::ops::terminal_count_key(s))?.unwrap_or(0))
    };
    Ok(ActiveCounts {
        pending: v.jobs_runnable().len()?,
        in_progress: v.jobs_leases().len()?,
        completed: terminal(JobStatus::Completed)?,
        failed: terminal(JobStatus::Failed)?,
        cancelled: terminal(JobStatus::Cancelled)?,
    })
}

/// The pending and in-progress jobs, from the small `jobs_active` index
/// rather than a scan of the whole history.
pub fn active_jobs(v: &impl View) -> Result<Vec<Job>> {
    let mut out = Vec::new();
    for row in v.jobs_active().iter()? {
        let (_, job) = row?;
        let id = job.value();
        if let Some(j) = crate::store::get_record(v.jobs(), id)? {
            out.push(j);
        }
    }
    out.sort_by_key(|j: &Job| std::cmp::Reverse(j.id));
    Ok(out)
}

/// When the next pending job becomes claimable: `Some(t <= now)` as soon as
/// one is claimable now, else the earliest future `run_at`; `None` when
/// nothing is pending. A read-only check, so idle workers do not write (and
/// fsync) to poll.
pub fn next_runnable_at(v: &impl View, now: Timestamp) -> Result<Option<Timestamp>> {
    let mut best: Option<Timestamp> = None;
    for row in v.jobs_runnable().iter()? {
        let at = Timestamp::from_millis(row?.0.value().2 as i64);
        if at <= now {
            return Ok(Some(at));
        }
        best = Some(best.map_or(at, |b| b.min(at)));
    }
    Ok(best)
}

/// The earliest lease expiry among running jobs.
pub fn next_lease_expiry(v: &impl View) -> Result<Option<Timestamp>> {
    Ok(v.jobs_leases()
        .first()?
        .map(|(k, _)| Timestamp::from_millis(k.value().0 as i64)))
}
