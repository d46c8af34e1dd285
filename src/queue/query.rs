//! Read-only queue queries: listing, counts, next runnable time, next lease
//! expiry. They work in either kind of transaction.

use redb::ReadableTable;

use crate::model::{Id, Job, JobSource, JobStatus, Timestamp};
use crate::store::{Result, View, all_records};

/// Which jobs to list.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    pub status: Option<JobStatus>,
    pub company: Option<Id>,
    /// Only jobs of these companies (a user's view).
    pub companies: Option<Vec<Id>>,
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
        if filter.status.is_some_and(|s| s != job.status)
            || filter.company.is_some_and(|c| c != job.company_id)
            || filter
                .companies
                .as_ref()
                .is_some_and(|cs| !cs.contains(&job.company_id))
        {
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

pub fn count_by_status(v: &impl View) -> Result<ActiveCounts> {
    let mut c = ActiveCounts::default();
    let jobs: Vec<Job> = all_records(v.jobs())?;
    for j in jobs {
        match j.status {
            JobStatus::Pending => c.pending += 1,
            JobStatus::InProgress => c.in_progress += 1,
            JobStatus::Completed => c.completed += 1,
            JobStatus::Failed => c.failed += 1,
            JobStatus::Cancelled => c.cancelled += 1,
        }
    }
    Ok(c)
}

/// When the next pending job becomes claimable (`None`: nothing pending). A
/// read-only check, so idle workers do not write (and fsync) to poll.
pub fn next_runnable_at(v: &impl View) -> Result<Option<Timestamp>> {
    let mut best: Option<Timestamp> = None;
    for priority in [
        JobSource::Manual.priority(),
        JobSource::Scheduled.priority(),
    ] {
        let first = v
            .jobs_runnable()
            .range((priority, 0, 0)..=(priority, u64::MAX, u64::MAX))?
            .next()
            .transpose()?
            .map(|(k, _)| Timestamp::from_millis(k.value().1 as i64));
        if let Some(t) = first {
            best = Some(best.map_or(t, |b: Timestamp| b.min(t)));
        }
    }
    Ok(best)
}

/// The earliest lease expiry among running jobs.
pub fn next_lease_expiry(v: &impl View) -> Result<Option<Timestamp>> {
    Ok(v.jobs_leases()
        .first()?
        .map(|(k, _)| Timestamp::from_millis(k.value().0 as i64)))
}
