//! Durable queue throughput, bytes written per job lifecycle, and the file-size
//! plateau under steady churn with retention, on a real redb file.
//!
//! `cargo bench --bench queue` (set `SCOUTLY_BENCH_LIFECYCLES` to change the
//! churn length, default 1,000,000; `SCOUTLY_BENCH_DIR` to measure another
//! disk, default the system temp dir).
//!
//! A lifecycle is enqueue → claim → complete. "Durable" means each of the three
//! transitions is its own committed transaction (redb's default, immediate
//! durability), as the appliance runs them. The fsync floor is measured on the
//! same file system: write 4 KiB and `fdatasync`, repeated.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::{Duration, Instant};

use scoutly::model::{JobSource, Timestamp};
use scoutly::queue::retention::{Retention, prune_batch};
use scoutly::queue::{self, EnqueueRequest};
use scoutly::store::Store;

const COMPANIES: u64 = 1_000;
const LEASE: Duration = Duration::from_secs(300);
const T0: Timestamp = Timestamp::from_millis(1_767_225_600_000); // 2026-01-01

/// `/proc/self/io` counters: bytes passed to write calls, bytes sent to storage.
#[derive(Clone, Copy)]
struct Io {
    wchar: u64,
    write_bytes: u64,
}

fn io() -> Io {
    let text = std::fs::read_to_string("/proc/self/io").unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or(0)
    };
    Io {
        wchar: field("wchar:"),
        write_bytes: field("write_bytes:"),
    }
}

fn fsync_floor(dir: &Path) -> (Duration, Duration) {
    let path = dir.join("fsync.probe");
    let f = File::create(&path).unwrap();
    let block = [7u8; 4096];
    let mut times = Vec::new();
    for i in 0..300u64 {
        let t = Instant::now();
        f.write_all_at(&block, (i % 16) * 4096).unwrap();
        f.sync_data().unwrap();
        times.push(t.elapsed());
    }
    times.sort();
    std::fs::remove_file(&path).ok();
    (times[times.len() / 2], times[times.len() * 99 / 100])
}

#[path = "seed.rs"]
mod seed;

/// Companies only: the queue needs one per active job.
fn seed(store: &Store) -> Vec<u64> {
    let size = seed::Size {
        companies: COMPANIES,
        users: 0,
        prefs_per_user: 0,
    };
    seed::seed(store, size, T0, None)
}

/// `n` lifecycles, one transaction per transition.
fn durable(store: &Store, ids: &[u64], n: usize, now: Timestamp) -> Duration {
    let t = Instant::now();
    for i in 0..n {
        let company = ids[i % ids.len()];
        store
            .write(|tx| queue::enqueue(tx, &EnqueueRequest::new(company, JobSource::Manual), now))
            .unwrap();
        let job = store
            .write(|tx| queue::claim(tx, now, LEASE))
            .unwrap()
            .expect("a runnable job");
        store
            .write(|tx| queue::complete(tx, job.id, Default::default(), now))
            .unwrap();
    }
    t.elapsed()
}

/// `batches` × `size` lifecycles, each transition of a batch in one transaction.
fn batched(store: &Store, ids: &[u64], size: usize, batches: usize, now: Timestamp) -> Duration {
    let t = Instant::now();
    for _ in 0..batches {
        store
            .write(|tx| {
                for &c in ids.iter().take(size) {
                    queue::enqueue(tx, &EnqueueRequest::new(c, JobSource::Scheduled), now)?;
                }
                Ok(())
            })
            .unwrap();
        let claimed = store
            .write(|tx| {
                let mut out = Vec::with_capacity(size);
                while out.len() < size {
                    match queue::claim(tx, now, LEASE)? {
                        Some(j) => out.push(j.id),
                        None => break,
                    }
                }
                Ok(out)
            })
            .unwrap();
        store
            .write(|tx| {
                for &id in &claimed {
                    queue::complete(tx, id, Default::default(), now)?;
                }
                Ok(())
            })
            .unwrap();
    }
    t.elapsed()
}

fn file_size(store: &Store) -> u64 {
    std::fs::metadata(store.path())
        .map(|m| m.len())
        .unwrap_or(0)
}

fn mib(b: u64) -> f64 {
    b as f64 / (1024.0 * 1024.0)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let total: usize = std::env::var("SCOUTLY_BENCH_LIFECYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let base = std::env::var_os("SCOUTLY_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::tempdir_in(&base).unwrap();

    let (median, p99) = fsync_floor(dir.path());
    let fsyncs_per_s = 1.0 / median.as_secs_f64();
    println!(
        "fsync (4 KiB write + fdatasync): median {:.2} ms, p99 {:.2} ms → {:.0} fsyncs/s; \
         physical limit at one fsync per transition: {:.0} lifecycles/s",
        median.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        fsyncs_per_s,
        fsyncs_per_s / 3.0
    );

    // Durable, one transaction per transition.
    let store = Store::open(&dir.path().join("durable.redb")).unwrap();
    let ids = seed(&store);
    durable(&store, &ids, 100, T0); // warm the file up
    let n = 1_000;
    let before = io();
    let took = durable(&store, &ids, n, T0);
    let after = io();
    let rate = n as f64 / took.as_secs_f64();
    println!(
        "durable lifecycles: {n} in {:.2} s → {rate:.0}/s ({:.0} commits/s), {:.0}% of the fsync limit",
        took.as_secs_f64(),
        rate * 3.0,
        100.0 * rate / (fsyncs_per_s / 3.0)
    );
    println!(
        "written per durable lifecycle: {:.1} KiB to storage (write_bytes), {:.1} KiB in write calls (wchar)",
        (after.write_bytes - before.write_bytes) as f64 / n as f64 / 1024.0,
        (after.wchar - before.wchar) as f64 / n as f64 / 1024.0,
    );
    drop(store);

    // As the appliance runs them: a scheduler pass enqueues a round in one
    // lazy transaction, each claim and each completion that found nothing
    // new is its own lazy transaction, and one flush (`store.flush_interval`)
    // puts the round on disk.
    let store = Store::open(&dir.path().join("lazy.redb")).unwrap();
    let ids = seed(&store);
    let round = 200;
    let rounds = 10;
    let lazy_round = |now: Timestamp| {
        store
            .write_lazy(|tx| {
                for &c in ids.iter().take(round) {
                    queue::enqueue(tx, &EnqueueRequest::new(c, JobSource::Scheduled), now)?;
                }
                Ok(())
            })
            .unwrap();
        for _ in 0..round {
            let job = store
                .write_lazy(|tx| queue::claim(tx, now, LEASE))
                .unwrap()
                .expect("a runnable job");
            store
                .write_lazy(|tx| queue::complete(tx, job.id, Default::default(), now))
                .unwrap();
        }
        store.flush().unwrap();
    };
    lazy_round(T0);
    let before = io();
    let t = Instant::now();
    for _ in 0..rounds {
        lazy_round(T0);
    }
    let took = t.elapsed();
    let after = io();
    let n = (round * rounds) as f64;
    println!(
        "appliance policy (lazy commits, one flush per round of {round}): {:.0} lifecycles/s, \
         {:.2} KiB written per lifecycle, {:.0} KiB per round",
        n / took.as_secs_f64(),
        (after.write_bytes - before.write_bytes) as f64 / n / 1024.0,
        (after.write_bytes - before.write_bytes) as f64 / rounds as f64 / 1024.0
    );
    drop(store);

    // Batched: each transition of 1,000 jobs in one transaction.
    let store = Store::open(&dir.path().join("batched.redb")).unwrap();
    let ids = seed(&store);
    batched(&store, &ids, 1_000, 2, T0);
    let before = io();
    let took = batched(&store, &ids, 1_000, 20, T0);
    let after = io();
    let rate = 20_000.0 / took.as_secs_f64();
    println!(
        "batched lifecycles (1,000 per transaction): 20,000 in {:.2} s → {rate:.0}/s, {:.2} KiB written per lifecycle",
        took.as_secs_f64(),
        (after.write_bytes - before.write_bytes) as f64 / 20_000.0 / 1024.0
    );
    drop(store);

    // Plateau: `total` lifecycles at 10,000 a simulated day, retention of 7
    // days for completed jobs, a retention sweep after every batch.
    let store = Store::open(&dir.path().join("plateau.redb")).unwrap();
    let ids = seed(&store);
    let retention = Retention {
        completed: Duration::from_secs(7 * 86_400),
        failed: Duration::from_secs(30 * 86_400),
        cancelled: Duration::from_secs(30 * 86_400),
    };
    let batch = 1_000;
    let per_batch = Duration::from_secs(86_400 / 10); // 10 batches a day
    let mut now = T0;
    let started = Instant::now();
    let report_every = (total / 10).max(batch);
    println!("plateau: lifecycles, simulated day, jobs kept, file size");
    let mut done = 0;
    while done < total {
        batched(&store, &ids, batch, 1, now);
        done += batch;
        loop {
            let b = store
                .write(|tx| prune_batch(tx, &retention, now, 2_000))
                .unwrap();
            if b.wrapped {
                break;
            }
        }
        now = now.plus(per_batch);
        if done % report_every == 0 {
            let kept = store
                .read(queue::count_by_status)
                .map(|c| c.completed)
                .unwrap_or(0);
            println!(
                "  {done:>9}  day {:>3}  {kept:>7}  {:>7.1} MiB",
                now.since(T0).as_secs() / 86_400,
                mib(file_size(&store))
            );
            std::io::stdout().flush().ok();
        }
    }
    println!(
        "plateau run: {total} lifecycles in {:.0} s",
        started.elapsed().as_secs_f64()
    );
}
