//! How long jobs will take, and what follows from it: the order of a round
//! and the time the queue needs to drain.
//!
//! A company's next job is expected to take its estimate for the way it
//! will be fetched (`DurationEstimate`, learnt from completed jobs): the
//! browser for `browser` companies, HTTP for `http` ones, and for `auto`
//! whichever its last job used. Without history a guess stands in.
//!
//! Ordering is longest-processing-time-first: with k workers and n jobs
//! that all run in one round, starting the long ones first and filling in
//! with short ones bounds the round at 4/3 of the best possible, where
//! rank order can leave one slow site to run alone at the end. Ranks still
//! decide how often a company is scraped and break ties between jobs of
//! the same length.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use serde::Serialize;

use crate::model::{Company, DurationEstimate, FetchMode, Id, Job, JobStatus, Timestamp};
use crate::store::{self, View};

/// Expected duration of a company's first plain HTTP job.
pub const GUESS_HTTP: Duration = Duration::from_secs(3);
/// Expected duration of a company's first browser job.
pub const GUESS_BROWSER: Duration = Duration::from_secs(15);

/// The expected duration of `company`'s next job.
pub fn expected(company: &Company, est: &DurationEstimate) -> Duration {
    let browser = match company.mode {
        FetchMode::Browser => true,
        FetchMode::Http => false,
        FetchMode::Auto => est.browser_last,
    };
    est.expected(browser)
        .unwrap_or(if browser { GUESS_BROWSER } else { GUESS_HTTP })
}

/// Claim order (0-100, higher first) of a scheduled job: the length class
/// first (a doubling each, from under 0.5 s to 2 min and more), then the
/// rank's tenth.
pub fn urgency(expected: Duration, rank: u8) -> u8 {
    let quarter_seconds = expected.as_millis() as f64 / 250.0;
    let class = if quarter_seconds < 2.0 {
        0
    } else {
        (quarter_seconds.log2().floor() as u8).min(9)
    };
    class * 10 + rank.clamp(1, 100).saturating_sub(1) / 10
}

/// How long `pending` jobs take on `workers` workers that are busy with
/// `running` (each the time its job still needs) when they are started
/// longest first, each on the worker that frees up first. `None` without
/// workers (paused).
pub fn drain_time(running: &[Duration], pending: &[Duration], workers: usize) -> Option<Duration> {
    if workers == 0 {
        return None;
    }
    let mut free: BinaryHeap<Reverse<Duration>> =
        (0..workers).map(|_| Reverse(Duration::ZERO)).collect();
    let mut end = Duration::ZERO;
    // Running jobs hold their workers first (more of them than workers
    // after a limit shrank: they queue behind each other).
    for &left in running {
        let Reverse(at) = free.pop().unwrap_or(Reverse(Duration::ZERO));
        end = end.max(at + left);
        free.push(Reverse(at + left));
    }
    let mut pending = pending.to_vec();
    pending.sort_by(|a, b| b.cmp(a));
    for d in pending {
        let Reverse(at) = free.pop().unwrap_or(Reverse(Duration::ZERO));
        end = end.max(at + d);
        free.push(Reverse(at + d));
    }
    Some(end)
}

/// When the queue will be empty, as `/status` shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Drain {
    /// Seconds until the last active job is expected to end.
    pub seconds: u64,
    pub at: String,
    /// Pending and running jobs counted.
    pub jobs: usize,
    /// Jobs allowed to run at once, as now.
    pub workers: usize,
}

/// The drain estimate of the active `jobs` with `workers` allowed to run;
/// `None` when the queue is empty or paused.
pub fn queue_drain(
    v: &impl View,
    companies: &[Company],
    jobs: &[Job],
    workers: usize,
    now: Timestamp,
) -> store::Result<Option<Drain>> {
    if jobs.is_empty() {
        return Ok(None);
    }
    let by_id: std::collections::HashMap<Id, &Company> =
        companies.iter().map(|c| (c.id, c)).collect();
    let (mut running, mut pending) = (Vec::new(), Vec::new());
    for job in jobs {
        let Some(c) = by_id.get(&job.company_id) else {
            continue;
        };
        let want = expected(c, &store::stats::timing(v, c.id)?);
        match (job.status, job.started) {
            (JobStatus::InProgress, Some(started)) => {
                running.push(want.saturating_sub(now.since(started)))
            }
            _ => pending.push(want),
        }
    }
    Ok(drain_time(&running, &pending, workers).map(|d| Drain {
        seconds: d.as_secs(),
        at: now.plus(d).to_rfc3339(),
        jobs: running.len() + pending.len(),
        workers,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn longer_jobs_come_first_and_rank_breaks_ties() {
        assert!(urgency(s(60), 1) > urgency(s(2), 100));
        assert!(urgency(s(2), 100) > urgency(s(2), 1));
        assert_eq!(urgency(Duration::from_millis(100), 1), 0);
        assert_eq!(urgency(s(3600), 100), 99);
    }

    #[test]
    fn expectations_follow_the_way_a_company_is_fetched() {
        let mut est = DurationEstimate::default();
        let company = |mode| Company {
            id: 1,
            name: "acme".into(),
            urls: vec![],
            mode,
            backend: None,
            include: vec![],
            exclude: vec![],
            effective_rank: None,
            health: Default::default(),
            created: crate::model::Timestamp::EPOCH,
        };
        assert_eq!(expected(&company(FetchMode::Auto), &est), GUESS_HTTP);
        assert_eq!(expected(&company(FetchMode::Browser), &est), GUESS_BROWSER);
        est.observe(true, s(10));
        est.observe(false, s(1));
        assert_eq!(expected(&company(FetchMode::Browser), &est), s(10));
        assert_eq!(expected(&company(FetchMode::Auto), &est), s(1));
        est.observe(true, s(20));
        // The weighted mean moves 30 % of the way to the newest job.
        assert_eq!(expected(&company(FetchMode::Auto), &est), s(13));
    }

    /// Run the queue on `workers` simulated workers with a driven clock:
    /// each claim takes its company's duration from `took`; returns the
    /// claim order and when the last job ended.
    fn run_round(
        store: &crate::store::Store,
        took: &std::collections::HashMap<Id, Duration>,
        workers: usize,
    ) -> (Vec<Id>, Duration) {
        let t0 = Timestamp::from_millis(1_700_000_000_000);
        let mut busy_until = vec![Duration::ZERO; workers];
        let (mut order, mut end) = (Vec::new(), Duration::ZERO);
        loop {
            // The worker that frees up first claims next.
            let (w, at) = busy_until
                .iter()
                .copied()
                .enumerate()
                .min_by_key(|e| e.1)
                .unwrap();
            let now = t0.plus(at);
            let Some(job) = store
                .write(|tx| crate::queue::claim(tx, now, s(3600)))
                .unwrap()
            else {
                return (order, end);
            };
            let d = took[&job.company_id];
            store
                .write(|tx| {
                    crate::queue::complete(tx, job.id, Default::default(), now.plus(d)).map(|_| ())
                })
                .unwrap();
            order.push(job.company_id);
            busy_until[w] = at + d;
            end = end.max(at + d);
        }
    }

    #[test]
    fn a_round_ordered_by_duration_ends_sooner_under_a_driven_clock() {
        use crate::scheduler::tests::{settings, setup};
        use crate::scheduler::{JobSource, PassSettings, run_pass};
        // The slow site has the lowest rank: by rank alone it starts last
        // and runs alone at the end.
        let ranks = [90, 80, 70, 60, 10];
        let secs = [1, 1, 1, 1, 6];
        let mut ends = Vec::new();
        for ordered in [false, true] {
            let (_d, store, ids) = setup(&ranks);
            let took: std::collections::HashMap<Id, Duration> =
                ids.iter().zip(secs).map(|(&id, n)| (id, s(n))).collect();
            store
                .write(|tx| {
                    for (&id, &d) in &took {
                        store::stats::observe_duration(tx, id, false, d)?;
                    }
                    Ok(())
                })
                .unwrap();
            let settings = PassSettings {
                duration_order: ordered,
                ..settings()
            };
            let t0 = Timestamp::from_millis(1_700_000_000_000);
            run_pass(&store, t0, &settings, JobSource::Scheduled).unwrap();
            let drain = store
                .read(|rx| {
                    let companies = store::list_companies(rx)?;
                    let jobs = crate::queue::active_jobs(rx)?;
                    queue_drain(rx, &companies, &jobs, 2, t0)
                })
                .unwrap()
                .unwrap();
            assert_eq!((drain.seconds, drain.jobs, drain.workers), (6, 5, 2));
            let (order, end) = run_round(&store, &took, 2);
            if ordered {
                assert_eq!(order[0], ids[4], "the slow site starts first");
            } else {
                assert_eq!(order, ids, "rank order");
            }
            ends.push(end);
        }
        assert_eq!(ends, [s(8), s(6)], "makespan by rank, then by duration");
    }

    #[test]
    fn drain_time_packs_longest_first() {
        // Three workers, longest first: 9 | 5+3 | 4+3+3 → 10 s (the best
        // packing, 9 | 5+4 | 3+3+3, is 9 s: within LPT's 4/3).
        let jobs = [3, 9, 3, 4, 5, 3].map(s);
        assert_eq!(drain_time(&[], &jobs, 3), Some(s(10)));
        // A running job with 8 s left takes a worker first.
        assert_eq!(drain_time(&[s(8)], &[s(2), s(2)], 1), Some(s(12)));
        assert_eq!(drain_time(&[], &jobs, 0), None);
        assert_eq!(drain_time(&[], &[], 4), Some(Duration::ZERO));
    }
}
