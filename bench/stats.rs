//! Disk used by a year of job analytics for 200 companies, and how long a
//! report over it takes.
//!
//! `cargo bench --bench stats` (`SCOUTLY_BENCH_DIR` to measure another
//! disk, default the system temp dir).
//!
//! Each company is scraped every 1 to 24 hours by rank (ranks spread over
//! 1-100): busier than the default rank policy (24-120 hours), so more
//! buckets than an appliance on defaults keeps. A job runs 0.5-30 s; 5 % fail (half of them retried first); the
//! queue depth is sampled at every pass. Events go through
//! `store::stats::record`, the function the queue's transitions call, one
//! transaction per simulated hour, with the retention sweep's pruning
//! once an hour as the appliance runs it.

use std::time::{Duration, Instant};

use scoutly::analytics::{self, Range};
use scoutly::model::{FailureClass, JobStatus, StatEvent, Timestamp};
use scoutly::store::{Store, insert_company, stats};

#[allow(dead_code)]
#[path = "seed.rs"]
mod seed;

const COMPANIES: u64 = 200;
const DAYS: u64 = 365;
const T0: Timestamp = Timestamp::from_millis(1_767_225_600_000); // 2026-01-01

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

fn interval_hours(company: u64) -> u64 {
    // Ranks 100..1 spread over the companies: 1 h for the top tenth, up
    // to 24 h for the lowest.
    match company * 100 / COMPANIES {
        0..=9 => 1,
        10..=29 => 3,
        30..=59 => 6,
        60..=84 => 12,
        _ => 24,
    }
}

fn main() {
    let dir = std::env::var_os("SCOUTLY_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let tmp = tempfile::tempdir_in(dir).unwrap();
    let path = tmp.path().join("stats.redb");
    let store = Store::open(&path).unwrap();
    let ids: Vec<u64> = store
        .write(|tx| {
            (0..COMPANIES)
                .map(|i| insert_company(tx, seed::company(i), T0).map(|c| c.id))
                .collect()
        })
        .unwrap();
    let mut rng = Rng(0x5eed);
    let mut events = 0u64;
    let started = Instant::now();
    for hour in 0..DAYS * 24 {
        let at = T0.plus(Duration::from_secs(hour * 3600));
        store
            .write_lazy(|tx| {
                let mut due = 0;
                for (i, &id) in ids.iter().enumerate() {
                    if hour % interval_hours(i as u64) != 0 {
                        continue;
                    }
                    due += 1;
                    let end = at.plus(Duration::from_secs(rng.below(600)));
                    let ran = Duration::from_millis(500 + rng.below(29_500));
                    let roll = rng.below(100);
                    let class =
                        FailureClass::ALL[rng.below(FailureClass::ALL.len() as u64) as usize];
                    if roll < 3 {
                        stats::record(tx, Some(id), end, StatEvent::Retried { class })?;
                        events += 1;
                    }
                    let event = StatEvent::Finished {
                        status: if roll < 5 {
                            JobStatus::Failed
                        } else {
                            JobStatus::Completed
                        },
                        ran: Some(ran),
                        new_postings: (rng.below(20) == 0) as u32,
                        class: (roll < 5).then_some(class),
                    };
                    stats::record(tx, Some(id), end, event)?;
                    events += 1;
                }
                stats::record(tx, None, at, StatEvent::QueueDepth(due))?;
                stats::prune(tx, at)?;
                Ok(())
            })
            .unwrap();
        if hour % (24 * 30) == 0 {
            store.flush().unwrap();
        }
    }
    store.flush().unwrap();
    let simulate = started.elapsed();
    let end = T0.plus(Duration::from_secs(DAYS * 86_400));
    let (counts, bytes) = store
        .read(|rx| {
            use redb::ReadableTable;
            let mut bytes = 0u64;
            for row in rx.job_stats.iter()? {
                let (_, v) = row?;
                bytes += v.value().len() as u64 + 17;
            }
            Ok((stats::bucket_counts(rx)?, bytes))
        })
        .unwrap();
    let report = |from: Duration, company: bool| {
        let range = Range {
            from: end.minus(from),
            to: end,
        };
        let t = Instant::now();
        let c = store
            .read(|rx| scoutly::store::get_company(rx, ids[0]))
            .unwrap();
        let r = store
            .read(|rx| analytics::report(rx, range, company.then_some(&c), end))
            .unwrap();
        (t.elapsed(), r.series.len(), r.by_company.len())
    };
    let year = report(Duration::from_secs(365 * 86_400), false);
    let month = report(Duration::from_secs(30 * 86_400), false);
    let day = report(Duration::from_secs(86_400), false);
    let one = report(Duration::from_secs(365 * 86_400), true);
    let file = std::fs::metadata(&path).unwrap().len();
    let copy = tmp.path().join("copy.redb");
    store.backup(&copy).unwrap();
    let compact = std::fs::metadata(&copy).unwrap().len();
    let mib = |b: u64| b as f64 / (1 << 20) as f64;
    println!("simulated {DAYS} days, {COMPANIES} companies: {events} job events in {simulate:.1?}");
    println!(
        "buckets kept: {} minute, {} hour, {} day ({} in all)",
        counts[0],
        counts[1],
        counts[2],
        counts.iter().sum::<u64>()
    );
    println!(
        "keys and values: {:.2} MiB ({:.1} bytes per bucket)",
        mib(bytes),
        bytes as f64 / counts.iter().sum::<u64>() as f64
    );
    println!(
        "redb file: {:.2} MiB as written, {:.2} MiB as a compact copy (`scoutly backup`)",
        mib(file),
        mib(compact)
    );
    for (name, (took, points, rows)) in [
        ("year, all companies", year),
        ("30 days, all companies", month),
        ("24 hours, all companies", day),
        ("year, one company", one),
    ] {
        println!("report over {name}: {took:.1?} ({points} points, {rows} company rows)");
    }
}
