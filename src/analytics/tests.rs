//! Reports against a straightforward recomputation from job records, and
//! the size of a year of buckets.

use std::time::Duration;

use redb::ReadableTable;

use super::*;
use crate::config::Config;
use crate::model::{FailureClass, Job, JobCounters, JobSource, JobStatus, StatEvent};
use crate::queue::{self, EnqueueRequest};
use crate::store::tests::{company, temp_store};
use crate::store::{Store, codec, insert_company, stats};

const T0: Timestamp = Timestamp::from_millis(1_800_000_000_000);
const MIN: Duration = Duration::from_secs(60);

/// A small deterministic generator (xorshift64*), so a failure repeats.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const ERRORS: [&str; 4] = [
    "timeout: timed out after 30s",
    "http_5xx: HTTP status 503",
    "parse: no links on https://x.example/careers",
    "connect: connection refused",
];

/// Three days of scrapes of five companies: completions with new postings,
/// retried and final failures of several classes, cancellations of waiting
/// and of running jobs. Returns the end of the history.
fn generate(store: &Store, companies: &[Id]) -> Timestamp {
    let backoff = Config::defaults().queue.backoff;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut now = T0;
    let end = T0.plus(Duration::from_secs(3 * 86_400));
    while now < end {
        let c = companies[rng.below(companies.len() as u64) as usize];
        let outcome = rng.below(10);
        let ran = Duration::from_millis(200 + rng.below(90_000));
        let new = rng.below(4) as u32;
        let err = ERRORS[rng.below(ERRORS.len() as u64) as usize];
        now = store
            .write(|tx| {
                let mut req = EnqueueRequest::new(c, JobSource::Scheduled);
                req.max_attempts = 3;
                let job = queue::enqueue(tx, &req, now)?.into_job();
                if outcome == 0 && job.status == JobStatus::Pending {
                    queue::cancel(tx, job.id, now)?;
                    return Ok(now.plus(MIN));
                }
                let Some(job) = queue::claim(tx, now, 10 * MIN)? else {
                    return Ok(now.plus(10 * MIN));
                };
                let done = now.plus(ran);
                match outcome {
                    0 | 1 => {
                        queue::cancel(tx, job.id, done)?;
                    }
                    2..=4 => {
                        queue::fail(tx, job.id, err, outcome != 4, done, &backoff, 0.5)?;
                    }
                    _ => {
                        let counters = JobCounters {
                            new_links: new,
                            ..Default::default()
                        };
                        queue::complete(tx, job.id, counters, done)?;
                    }
                }
                Ok(done.plus(Duration::from_millis(rng_gap(outcome))))
            })
            .unwrap();
    }
    end.plus(Duration::from_secs(3600))
}

fn rng_gap(outcome: u64) -> u64 {
    1_000 + outcome * 7_919
}

/// What a report should say, counted from the job records alone.
#[derive(Default, Debug)]
struct Recount {
    completed: u32,
    failed: u32,
    cancelled: u32,
    new_postings: u32,
    durations: Vec<u64>,
    errors: std::collections::BTreeMap<String, u32>,
}

fn recount(jobs: &[Job], company: Option<Id>, from: Timestamp, to: Timestamp) -> Recount {
    let mut r = Recount::default();
    for j in jobs {
        let Some(done) = j.completed else { continue };
        if done < from || done >= to || company.is_some_and(|c| c != j.company_id) {
            continue;
        }
        match j.status {
            JobStatus::Completed => {
                r.completed += 1;
                r.new_postings += j.counters.new_links;
            }
            JobStatus::Failed => {
                r.failed += 1;
                let class = FailureClass::of_error(j.error.as_deref().unwrap_or(""));
                *r.errors.entry(class.as_str().into()).or_default() += 1;
            }
            JobStatus::Cancelled => r.cancelled += 1,
            _ => continue,
        }
        if matches!(j.status, JobStatus::Completed | JobStatus::Failed) {
            r.durations
                .push(done.since(j.started.unwrap()).as_millis() as u64);
        }
    }
    r.durations.sort();
    r
}

fn check(report: &Summary, r: &Recount, what: &str) {
    assert_eq!(report.completed, r.completed, "{what}: completed");
    assert_eq!(report.failed, r.failed, "{what}: failed");
    assert_eq!(report.cancelled, r.cancelled, "{what}: cancelled");
    assert_eq!(report.new_postings, r.new_postings, "{what}: new postings");
    let n = r.durations.len() as u64;
    let mean = (n > 0).then(|| r.durations.iter().sum::<u64>() / n);
    assert_eq!(report.avg_duration_ms, mean, "{what}: mean duration");
    if n > 0 {
        let rank = ((0.95 * n as f64).ceil() as usize).max(1);
        let exact = r.durations[rank - 1] as f64;
        let got = report.p95_duration_ms.unwrap() as f64;
        assert!(
            (got - exact).abs() / exact <= 0.1,
            "{what}: p95 {got} ms, exact {exact} ms"
        );
    }
    // Failed jobs by class; retried attempts add to the same map, so each
    // final failure count is at most the report's.
    for (class, n) in &r.errors {
        let reported = report
            .errors
            .get(class)
            .and_then(|v| v.as_u64())
            .unwrap_or(0);
        assert!(reported >= *n as u64, "{what}: {class} {reported} < {n}");
    }
}

#[test]
fn reports_agree_with_a_recount_from_the_job_records() {
    let (_d, store) = temp_store();
    let companies: Vec<Id> = store
        .write(|tx| {
            (0..5)
                .map(|i| insert_company(tx, company(&format!("co{i}")), T0).map(|c| c.id))
                .collect()
        })
        .unwrap();
    let now = generate(&store, &companies);
    let jobs: Vec<Job> = store
        .read(|rx| crate::store::all_records(&rx.jobs))
        .unwrap();
    let finished = jobs.iter().filter(|j| j.status.is_terminal()).count();
    assert!(finished > 300, "a history worth checking: {finished} jobs");
    let retried: u32 = store
        .read(|rx| {
            Ok(
                stats::buckets(rx, Resolution::Day, stats::ALL, 0, u64::MAX)?
                    .iter()
                    .map(|b| b.1.retried)
                    .sum(),
            )
        })
        .unwrap();
    assert!(retried > 20, "retries happened: {retried}");

    // The whole history at once (hours), then each company, then each
    // hour of one day against the jobs that ended in it.
    let whole = Range { from: T0, to: now };
    let overall = store.read(|rx| report(rx, whole, None, now)).unwrap();
    assert_eq!(overall.resolution, "hour");
    check(&overall.totals, &recount(&jobs, None, T0, now), "overall");
    assert_eq!(overall.by_company.len(), companies.len());
    for &c in &companies {
        let co = store.read(|rx| crate::store::get_company(rx, c)).unwrap();
        let one = store.read(|rx| report(rx, whole, Some(&co), now)).unwrap();
        check(&one.totals, &recount(&jobs, Some(c), T0, now), &co.name);
        let row = overall.by_company.iter().find(|r| r.id == c).unwrap();
        assert_eq!(row.summary, one.totals, "{}: by-company row", co.name);
    }
    let day = Range {
        from: T0.plus(Duration::from_secs(86_400)),
        to: T0.plus(Duration::from_secs(2 * 86_400)),
    };
    let hours = store.read(|rx| report(rx, day, None, now)).unwrap();
    assert_eq!(
        hours.series.len(),
        24,
        "a point for every hour, empty or not"
    );
    for p in &hours.series {
        let from = Timestamp::parse_rfc3339(&p.start).unwrap();
        let to = from.plus(Duration::from_secs(3600));
        check(&p.summary, &recount(&jobs, None, from, to), &p.start);
    }
    let queue_seen = overall
        .series
        .iter()
        .map(|p| p.summary.queue_depth_max)
        .max();
    assert!(queue_seen.unwrap_or(0) >= 1, "queue depth was sampled");

    // Minutes for a recent stretch, which a day of minute buckets covers.
    let recent = Range {
        from: now.minus(Duration::from_secs(3 * 3600)),
        to: now,
    };
    let minutes = store.read(|rx| report(rx, recent, None, now)).unwrap();
    assert_eq!(minutes.resolution, "minute");
    check(
        &minutes.totals,
        &recount(&jobs, None, recent.from, recent.to),
        "last three hours",
    );
}

#[test]
fn a_year_of_buckets_stays_within_the_documented_size() {
    let (dir, store) = temp_store();
    let companies: Vec<Id> = store
        .write(|tx| {
            (0..8)
                .map(|i| insert_company(tx, company(&format!("co{i}")), T0).map(|c| c.id))
                .collect()
        })
        .unwrap();
    let mut rng = Rng(42);
    let every = Duration::from_secs(2 * 3600);
    let days = 365;
    let t0 = Timestamp::from_millis(Resolution::Day.start_of(T0.key()) as i64);
    for day in 0..days {
        let start = t0.plus(Duration::from_secs(day * 86_400));
        store
            .write_lazy(|tx| {
                for slot in 0..12 {
                    for &c in &companies {
                        let at = start.plus(every * slot).plus(Duration::from_secs(c * 60));
                        let event = if rng.below(10) == 0 {
                            StatEvent::Finished {
                                status: JobStatus::Failed,
                                ran: Some(Duration::from_millis(rng.below(60_000))),
                                new_postings: 0,
                                class: Some(FailureClass::ALL[rng.below(17) as usize]),
                            }
                        } else {
                            StatEvent::Finished {
                                status: JobStatus::Completed,
                                ran: Some(Duration::from_millis(500 + rng.below(30_000))),
                                new_postings: rng.below(3) as u32,
                                class: None,
                            }
                        };
                        stats::record(tx, Some(c), at, event)?;
                        stats::record(tx, None, at, StatEvent::QueueDepth(rng.below(9) as u32))?;
                    }
                }
                stats::prune(tx, start.plus(Duration::from_secs(86_399)))
            })
            .unwrap();
    }
    let (counts, bytes) = store
        .read(|rx| {
            let mut bytes = 0usize;
            for row in rx.job_stats.iter()? {
                let (k, v) = row?;
                let _: StatBucket = codec::decode(v.value(), &format!("{:?}", k.value()))?;
                bytes += v.value().len();
            }
            Ok((stats::bucket_counts(rx)?, bytes))
        })
        .unwrap();
    let scopes = companies.len() as u64 + 1;
    for (i, res) in Resolution::ALL.into_iter().enumerate() {
        assert!(
            counts[i] <= res.kept() * scopes,
            "{} buckets: {} > {} x {scopes}",
            res.as_str(),
            counts[i],
            res.kept()
        );
    }
    // Every company ran every two hours: all 365 days and every other hour
    // of the last 31 days are there; minutes only where something happened.
    assert_eq!(counts[2], 365 * scopes);
    assert_eq!(counts[1], 372 * scopes);
    let total: u64 = counts.iter().sum();
    let per_bucket = bytes as f64 / total as f64;
    assert!(per_bucket < 48.0, "{per_bucket:.1} bytes per bucket");
    drop(store);
    let file = std::fs::metadata(dir.path().join("scoutly.redb"))
        .unwrap()
        .len();
    assert!(file < 8 << 20, "a year for 8 companies: {file} bytes");
}
