//! What watching the machine costs, and what the controller does for a hot
//! Raspberry Pi.
//!
//! 1. Sampler cost: CPU time of `Sampler::sample` (CPU, memory, this
//!    process and its children, sysfs temperatures and power, statvfs),
//!    with and without child processes to account for, and of the `/proc`
//!    walk that finds children on kernels without `CONFIG_PROC_CHILDREN`.
//! 2. A one-hour simulation of a Pi 5 under a saturated queue of CPU-heavy
//!    jobs, with the real `Controller` and without it (a fixed five jobs),
//!    over a first-order thermal model; see bench/README.md for the model.
//!
//! Run: `cargo bench --bench resources`.

use std::time::{Duration, Instant};

use scoutly::resources::controller::{Controller, ControllerConfig, Readings, Usage};
use scoutly::resources::sampler::Sampler;
use scoutly::resources::tree;

#[path = "cpu.rs"]
mod cpu;
use cpu::thread_cpu;

/// CPU time per call of `f`, over `n` calls.
fn per_call(n: u32, mut f: impl FnMut()) -> Duration {
    f();
    let start = thread_cpu();
    for _ in 0..n {
        f();
    }
    (thread_cpu() - start) / n
}

fn sampler_cost() {
    let dir = std::env::temp_dir();
    let every = Duration::from_secs(2);
    println!("## sampler cost (CPU time of this thread)");
    let mut s = Sampler::new(None, Some(dir.clone()));
    let bare = per_call(2000, || {
        std::hint::black_box(s.sample());
    });
    // Five idle children stand in for Chromium's processes.
    let mut kids: Vec<_> = (0..5)
        .map(|_| {
            std::process::Command::new("sleep")
                .arg("60")
                .spawn()
                .unwrap()
        })
        .collect();
    let mut s = Sampler::new(None, Some(dir));
    let with_kids = per_call(2000, || {
        std::hint::black_box(s.sample());
    });
    let scan = per_call(200, || {
        std::hint::black_box(tree::descendants_by_scan(
            std::path::Path::new("/proc"),
            std::process::id(),
        ));
    });
    let procs = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.parse::<u32>().is_ok())
        })
        .count();
    for k in &mut kids {
        let _ = k.kill();
        let _ = k.wait();
    }
    let lists = tree::lists_children(std::path::Path::new("/proc"));
    let per_hour = |d: Duration| d * (3600 / every.as_secs() as u32);
    let share = |d: Duration| d.as_secs_f64() / every.as_secs_f64() * 100.0;
    println!("| what | CPU per call | per hour at 2 s | share of one core |");
    println!("|---|---|---|---|");
    println!(
        "| sample, no children | {:.1} µs | {:.0} ms | {:.4} % |",
        bare.as_secs_f64() * 1e6,
        per_hour(bare).as_secs_f64() * 1e3,
        share(bare)
    );
    println!(
        "| sample, 5 children | {:.1} µs | {:.0} ms | {:.4} % |",
        with_kids.as_secs_f64() * 1e6,
        per_hour(with_kids).as_secs_f64() * 1e3,
        share(with_kids)
    );
    println!(
        "| /proc walk for children ({procs} processes; every 30 s, only on kernels without children files, {}) | {:.1} µs | {:.0} ms | {:.4} % |",
        if lists {
            "which this one has"
        } else {
            "like this one"
        },
        scan.as_secs_f64() * 1e6,
        (scan * 120).as_secs_f64() * 1e3,
        scan.as_secs_f64() / 30.0 * 100.0
    );
}

/// A Raspberry Pi 5 as a first-order thermal system (see bench/README.md).
struct Pi {
    temp: f64,
}

const AMBIENT: f64 = 25.0;
const CORES: f64 = 4.0;
const IDLE_WATTS: f64 = 2.7;
const WATTS_PER_CORE: f64 = 1.6;
/// Kelvin per watt from the SoC to the air: no cooler, in a closed case ...
const UNCOOLED: f64 = 7.0;
/// ... and with the Active Cooler.
const COOLED: f64 = 3.0;
/// Joules per kelvin: a time constant of 210 s uncooled, 90 s cooled.
const CAPACITY: f64 = 30.0;
const FIRMWARE_THROTTLE: f64 = 85.0;
/// The firmware's lower clock while throttled: work and power scale with it.
const THROTTLED_CLOCK: f64 = 0.6;
/// One job keeps this much of a core busy (a render, parsing) ...
const CORES_PER_JOB: f64 = 0.8;
/// ... for this many core-seconds at full clock.
const WORK_PER_JOB: f64 = 4.0;

struct Outcome {
    jobs_done: f64,
    peak: f64,
    secs_throttled: u32,
    secs_paused: u32,
    mean_limit: f64,
    timeline: Vec<(u32, usize, f64)>,
}

/// One hour at thermal resistance `resistance`, with the controller `cfg`
/// or (`None`) a fixed five jobs.
fn simulate(resistance: f64, cfg: Option<ControllerConfig>) -> Outcome {
    let mut pi = Pi { temp: 45.0 };
    let controlled = cfg.is_some();
    let mut ctl = Controller::new(ControllerConfig {
        max_tabs: 0,
        ..cfg.unwrap_or_default()
    });
    let (mut done, mut peak, mut throttled, mut paused, mut limit_sum) = (0.0, 0.0f64, 0, 0, 0.0);
    let mut timeline = Vec::new();
    let mut running = if controlled { ctl.limits().jobs } else { 5 };
    for t in 0..3600u32 {
        let clock = if pi.temp >= FIRMWARE_THROTTLE {
            THROTTLED_CLOCK
        } else {
            1.0
        };
        let busy = (running as f64 * CORES_PER_JOB).min(CORES);
        let watts = IDLE_WATTS + WATTS_PER_CORE * busy * clock;
        pi.temp += (watts - (pi.temp - AMBIENT) / resistance) / CAPACITY;
        done += busy * clock / WORK_PER_JOB;
        peak = peak.max(pi.temp);
        throttled += u32::from(clock < 1.0);
        if controlled && t % 2 == 0 {
            let readings = Readings {
                cpu: Some(busy / CORES),
                available_memory: Some(6 << 30),
                temperature: Some(pi.temp),
                loop_lag: Some(Duration::from_millis(1)),
                others_cpu: Some(0.0),
                on_battery: Some(false),
            };
            // The queue is never empty: every allowed job runs.
            let used = Usage {
                jobs: running,
                tabs: 0,
            };
            ctl.observe(Duration::from_secs(t.into()), &readings, used);
            let l = ctl.limits();
            // Running jobs finish (a job lasts seconds); new ones follow the limit.
            running = if l.paused { 0 } else { l.jobs };
        }
        paused += u32::from(running == 0);
        limit_sum += running as f64;
        if t % 300 == 0 {
            timeline.push((t / 60, running, pi.temp));
        }
    }
    Outcome {
        jobs_done: done,
        peak,
        secs_throttled: throttled,
        secs_paused: paused,
        mean_limit: limit_sum / 3600.0,
        timeline,
    }
}

fn thermal_simulation() {
    println!("\n## one simulated hour, saturated queue of CPU-heavy jobs (1 s steps)");
    let soft75 = ControllerConfig {
        soft_temp: 75.0,
        ..ControllerConfig::default()
    };
    let runs = [
        ("uncooled", "fixed 5 jobs", simulate(UNCOOLED, None)),
        (
            "uncooled",
            "controller, defaults",
            simulate(UNCOOLED, Some(ControllerConfig::default())),
        ),
        (
            "uncooled",
            "controller, soft_temp 75",
            simulate(UNCOOLED, Some(soft75)),
        ),
        ("Active Cooler", "fixed 5 jobs", simulate(COOLED, None)),
        (
            "Active Cooler",
            "controller, defaults",
            simulate(COOLED, Some(ControllerConfig::default())),
        ),
    ];
    println!(
        "| Pi 5 | jobs | jobs done | peak °C | time firmware-throttled (≥ 85 °C) | time paused | mean jobs running |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (pi, name, o) in &runs {
        println!(
            "| {pi} | {name} | {:.0} | {:.1} | {} s | {} s | {:.2} |",
            o.jobs_done, o.peak, o.secs_throttled, o.secs_paused, o.mean_limit
        );
    }
    println!("\nuncooled, every 5 minutes (minute: jobs running, °C), fixed | controller:");
    for (a, b) in runs[0].2.timeline.iter().zip(&runs[1].2.timeline) {
        println!("  {:>2}: {} {:.1} | {} {:.1}", a.0, a.1, a.2, b.1, b.2);
    }
}

fn main() {
    let started = Instant::now();
    sampler_cost();
    thermal_simulation();
    println!("\n(took {:.1} s)", started.elapsed().as_secs_f64());
}
