//! Job analytics (`job_stats`) and job duration estimates (`job_timing`).
//!
//! Every job event is added to its minute, hour and day bucket, once for
//! all companies (scope [`ALL`]) and once for its company, in the
//! transaction that moves the job, so the buckets agree with the job records
//! after every commit. Buckets exist only where something happened, and
//! [`prune`] drops those older than their resolution keeps
//! ([`Resolution::kept`]): a scope holds at most 1,440 + 744 + 400 buckets
//! however long the appliance runs.
//!
//! What is counted is final: a failed job that an operator retries later is
//! counted as failed then and again at its new end; pruning job records
//! leaves the buckets alone.

use std::time::Duration;

use redb::{ReadableTable, ReadableTableMetadata};

use super::{Result, Tx, View, codec, get_record, put_record};
use crate::model::{
    DurationEstimate, FailureClass, Id, Job, JobStatus, Resolution, StatBucket, StatEvent,
    Timestamp,
};

/// The scope of buckets that count every company (company ids start at 1).
pub const ALL: Id = 0;

fn key_of(res: Resolution, scope: Id, start: u64) -> (u8, u64, u64) {
    (res.tag(), scope, start)
}

fn upsert(tx: &mut Tx<'_>, key: (u8, u64, u64), event: StatEvent) -> Result<()> {
    let mut bucket: StatBucket = match tx.job_stats.get(key)? {
        Some(v) => codec::decode(v.value(), &format!("{key:?}"))?,
        None => StatBucket::default(),
    };
    bucket.add(event);
    tx.job_stats
        .insert(key, codec::encode(&bucket).as_slice())?;
    Ok(())
}

/// Add `event` at `at` to the buckets of `company` (none: overall only).
pub fn record(tx: &mut Tx<'_>, company: Option<Id>, at: Timestamp, event: StatEvent) -> Result<()> {
    let ms = at.key();
    for res in Resolution::ALL {
        let start = res.start_of(ms);
        upsert(tx, key_of(res, ALL, start), event)?;
        if let Some(c) = company {
            upsert(tx, key_of(res, c, start), event)?;
        }
    }
    Ok(())
}

/// Count a job that just reached its final status at `now`; `was_running`
/// says whether its last attempt was in progress then (a job cancelled while
/// it waited has no duration).
pub fn record_finished(
    tx: &mut Tx<'_>,
    job: &Job,
    was_running: bool,
    now: Timestamp,
) -> Result<()> {
    let ran = job
        .started
        .filter(|_| was_running)
        .map(|started| now.since(started));
    let class = (job.status == JobStatus::Failed)
        .then(|| FailureClass::of_error(job.error.as_deref().unwrap_or("")));
    let event = StatEvent::Finished {
        status: job.status,
        ran,
        new_postings: job.counters.new_links,
        class,
    };
    record(tx, Some(job.company_id), now, event)?;
    sample_queue(tx, now)
}

/// Count a failed attempt that will be tried again.
pub fn record_retry(tx: &mut Tx<'_>, job: &Job, now: Timestamp) -> Result<()> {
    let class = FailureClass::of_error(job.error.as_deref().unwrap_or(""));
    record(tx, Some(job.company_id), now, StatEvent::Retried { class })
}

/// Note how deep the queue is now (pending and running jobs).
pub fn sample_queue(tx: &mut Tx<'_>, now: Timestamp) -> Result<()> {
    let depth = tx.jobs_active.len()?;
    record(tx, None, now, StatEvent::QueueDepth(depth as u32))
}

/// Drop buckets older than their resolution keeps; returns how many.
pub fn prune(tx: &mut Tx<'_>, now: Timestamp) -> Result<usize> {
    let mut scopes = vec![ALL];
    for row in tx.companies.iter()? {
        scopes.push(row?.0.value());
    }
    let before = tx.job_stats.len()?;
    for res in Resolution::ALL {
        // The current bucket and the `kept - 1` before it stay.
        let width = res.width().as_millis() as u64;
        let cutoff = res
            .start_of(now.key())
            .saturating_sub((res.kept() - 1) * width);
        for &scope in &scopes {
            tx.job_stats
                .retain_in(key_of(res, scope, 0)..key_of(res, scope, cutoff), |_, _| {
                    false
                })?;
        }
    }
    Ok((before - tx.job_stats.len()?) as usize)
}

/// Remove a company's buckets and estimate (the company is being removed).
pub fn remove_company(tx: &mut Tx<'_>, company: Id) -> Result<()> {
    for res in Resolution::ALL {
        tx.job_stats.retain_in(
            key_of(res, company, 0)..=key_of(res, company, u64::MAX),
            |_, _| false,
        )?;
    }
    tx.job_timing.remove(company)?;
    Ok(())
}

/// The buckets of `scope` at `res` that start in `[from, to)` (ms), in order.
pub fn buckets(
    v: &impl View,
    res: Resolution,
    scope: Id,
    from: u64,
    to: u64,
) -> Result<Vec<(u64, StatBucket)>> {
    let mut out = Vec::new();
    let (from, to) = (res.start_of(from), to.max(from));
    for row in v
        .job_stats()
        .range(key_of(res, scope, from)..key_of(res, scope, to))?
    {
        let (k, val) = row?;
        let key = k.value();
        out.push((key.2, codec::decode(val.value(), &format!("{key:?}"))?));
    }
    Ok(out)
}

/// How many buckets each resolution holds (all scopes), finest first.
pub fn bucket_counts(v: &impl View) -> Result<[u64; 3]> {
    let mut counts = [0; 3];
    for (i, res) in Resolution::ALL.into_iter().enumerate() {
        let tag = res.tag();
        counts[i] = v
            .job_stats()
            .range((tag, 0, 0)..=(tag, u64::MAX, u64::MAX))?
            .count() as u64;
    }
    Ok(counts)
}

/// A company's duration estimate (all empty before its first job).
pub fn timing(v: &impl View, company: Id) -> Result<DurationEstimate> {
    Ok(get_record(v.job_timing(), company)?.unwrap_or_default())
}

/// Fold a completed job's duration into its company's estimate.
pub fn observe_duration(tx: &mut Tx<'_>, company: Id, browser: bool, ran: Duration) -> Result<()> {
    let mut est = timing(tx, company)?;
    est.observe(browser, ran);
    put_record(&mut tx.job_timing, company, &est)
}
