//! Process-wide counters and the fetch latency histogram behind
//! `/metrics`.
//!
//! Counters count what happened since the process started (Prometheus
//! expects counters to reset on restart); gauges (queue depth, limits,
//! readings, budget) are read from the store and the live state when
//! `/metrics` is asked, in `http::metrics`. Lock-free: recording is one
//! atomic add, so hot paths pay nothing noticeable.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::model::FailureClass;

/// How a job ended, as counted.
pub const OUTCOMES: [&str; 5] = ["completed", "failed", "abandoned", "released", "deferred"];

/// Upper bounds (seconds) of the fetch latency buckets.
pub const LATENCY_BOUNDS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

static JOBS: [AtomicU64; OUTCOMES.len()] = [const { AtomicU64::new(0) }; OUTCOMES.len()];
static FAILURES: [AtomicU64; FailureClass::ALL.len()] =
    [const { AtomicU64::new(0) }; FailureClass::ALL.len()];
static LATENCY: [AtomicU64; LATENCY_BOUNDS.len()] =
    [const { AtomicU64::new(0) }; LATENCY_BOUNDS.len()];
static LATENCY_COUNT: AtomicU64 = AtomicU64::new(0);
static LATENCY_SUM_MICROS: AtomicU64 = AtomicU64::new(0);

/// Count a finished job (an outcome of [`OUTCOMES`]).
pub fn job_finished(outcome: &str) {
    if let Some(i) = OUTCOMES.iter().position(|o| *o == outcome) {
        JOBS[i].fetch_add(1, Ordering::Relaxed);
    }
}

/// Count a failed attempt by its class.
pub fn job_failed(class: FailureClass) {
    if let Some(i) = FailureClass::ALL.iter().position(|c| *c == class) {
        FAILURES[i].fetch_add(1, Ordering::Relaxed);
    }
}

/// Record how long a request took to answer (its headers), or to fail.
pub fn fetch_latency(d: Duration) {
    let secs = d.as_secs_f64();
    for (i, bound) in LATENCY_BOUNDS.iter().enumerate() {
        if secs <= *bound {
            LATENCY[i].fetch_add(1, Ordering::Relaxed);
        }
    }
    LATENCY_COUNT.fetch_add(1, Ordering::Relaxed);
    LATENCY_SUM_MICROS.fetch_add(
        d.as_micros().min(u128::from(u64::MAX)) as u64,
        Ordering::Relaxed,
    );
}

/// The counters as they are now.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub jobs: Vec<(&'static str, u64)>,
    pub failures: Vec<(&'static str, u64)>,
    /// Cumulative counts per bound, as Prometheus buckets are.
    pub latency: Vec<(f64, u64)>,
    pub latency_count: u64,
    pub latency_sum: f64,
}

pub fn snapshot() -> Snapshot {
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    Snapshot {
        jobs: OUTCOMES
            .iter()
            .zip(&JOBS)
            .map(|(o, n)| (*o, load(n)))
            .collect(),
        failures: FailureClass::ALL
            .iter()
            .zip(&FAILURES)
            .map(|(c, n)| (c.as_str(), load(n)))
            .collect(),
        latency: LATENCY_BOUNDS
            .iter()
            .zip(&LATENCY)
            .map(|(b, n)| (*b, load(n)))
            .collect(),
        latency_count: load(&LATENCY_COUNT),
        latency_sum: load(&LATENCY_SUM_MICROS) as f64 / 1e6,
    }
}
