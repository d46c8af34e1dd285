//! The resource loop: sample every `resources.sample_interval`, let the
//! controller decide, put its limits in force through the gates, log one
//! line per change, and keep the alerts.
//!
//! Invariants: the controller sees time as a monotonic instant (a wall-clock
//! jump does not look like a long or a short window); `vcgencmd` runs at
//! most every `resources.throttle_check` and never again once it is found
//! missing; sampling runs on the blocking pool, so a slow `/proc` never
//! delays the async workers.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::controller::{Controller, ControllerConfig, Holds, Usage};
use super::sampler::{Sample, Sampler, Source};
use super::shared::{self, LastChange, ResourceView, Resources};
use super::throttle::{self, Throttled};
use crate::clock::SharedClock;
use crate::config::Config;

/// The alert kinds the monitor raises and ends.
pub const MONITOR_ALERTS: &[&str] = &[
    "overheated",
    "hot",
    "memory_low",
    "disk_low",
    "under_voltage",
    "throttled",
];

/// How far under `resources.soft_temp` the "hot" alert ends, in °C.
const HOT_HYSTERESIS: f64 = 2.0;

/// How often the event loop's lateness is probed.
const PROBE: Duration = Duration::from_millis(200);
/// Raspberry Pi's firmware tool, looked up on `PATH`.
const VCGENCMD: &str = "vcgencmd";
/// How long `vcgencmd` may take.
const VCGENCMD_TIMEOUT: Duration = Duration::from_secs(2);

pub struct Monitor {
    resources: Arc<Resources>,
    controller: Controller,
    sampler: Option<Box<dyn Source>>,
    clock: SharedClock,
    every: Duration,
    throttle: Throttle,
    min_free_disk: u64,
}

impl Monitor {
    pub fn new(config: &Config, data_dir: PathBuf, clock: SharedClock) -> Monitor {
        let sampler = Sampler::new(config.resources.sensor.clone(), Some(data_dir));
        Monitor::with_source(config, Box::new(sampler), clock)
    }

    /// A monitor of samples from `source`.
    pub fn with_source(config: &Config, source: Box<dyn Source>, clock: SharedClock) -> Monitor {
        let cfg = ControllerConfig::from_config(config);
        let controller = Controller::new(cfg.clone());
        let resources = Resources::new(ResourceView {
            mode: if cfg.adaptive { "adaptive" } else { "fixed" },
            limits: controller.limits(),
            min_jobs: cfg.min_jobs,
            max_jobs: cfg.max_jobs,
            max_tabs: cfg.max_tabs,
            jobs_running: 0,
            tabs_open: 0,
            holds: Holds::default(),
            last_change: None,
            samples: 0,
            readings: None,
            alerts: Vec::new(),
        });
        let r = &config.resources;
        Monitor {
            resources,
            controller,
            sampler: Some(source),
            clock,
            every: r.sample_interval,
            throttle: Throttle::new(VCGENCMD, r.throttle_check),
            min_free_disk: config.readiness.min_free_disk,
        }
    }

    /// The handle workers, the browser and status share.
    pub fn resources(&self) -> Arc<Resources> {
        self.resources.clone()
    }

    pub async fn run(mut self, cancel: CancellationToken) {
        let lag = AtomicU64::new(0);
        let start = Instant::now();
        let sampling = async {
            loop {
                self.tick(start.elapsed(), &lag).await;
                tokio::time::sleep(self.every).await;
            }
        };
        tokio::select! {
            _ = cancel.cancelled() => {}
            _ = probe(&lag) => {}
            _ = sampling => {}
        }
    }

    async fn tick(&mut self, at: Duration, lag: &AtomicU64) {
        let Some(mut sampler) = self.sampler.take() else {
            return;
        };
        // A panic inside one sample must not end sampling (and with it the
        // thermal hold): that sample is skipped.
        let taken = tokio::task::spawn_blocking(move || {
            let sample =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sampler.sample()));
            (sampler, sample)
        })
        .await;
        let (sampler, sample) = match taken {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(error = %e, "the resource sampler failed; limits stay as they are");
                return;
            }
        };
        self.sampler = Some(sampler);
        let Ok(mut sample) = sample else {
            tracing::error!("a resource sample panicked; skipped");
            return;
        };
        sample.loop_lag_ms = Some(lag.swap(0, Ordering::Relaxed));
        sample.throttled = self.throttle.read().await;
        let used = Usage {
            jobs: self.resources.jobs.held(),
            tabs: self.resources.tabs.held(),
        };
        let now = self.clock.now();
        if let Some(change) = self.controller.observe(at, &sample.readings(), used) {
            tracing::info!(
                jobs = change.to.jobs,
                tabs = change.to.tabs,
                paused = change.to.paused,
                "limits: {}",
                change.reason
            );
            self.resources.apply(change.to);
            self.resources.update(|v| {
                v.last_change = Some(LastChange {
                    at: now.to_rfc3339(),
                    reason: change.reason,
                })
            });
        }
        let holding = self.conditions(&sample);
        let holds = self.controller.holds();
        self.resources.update(|v| {
            let (raised, ended) =
                shared::reconcile_kinds(&mut v.alerts, now, Some(MONITOR_ALERTS), holding);
            self.resources.announce(raised, ended);
            v.holds = holds;
            v.jobs_running = used.jobs;
            v.tabs_open = used.tabs;
            v.samples += 1;
            v.readings = Some(sample);
        });
    }

    /// The alert conditions that hold in this sample.
    fn conditions(&self, s: &Sample) -> Vec<(&'static str, String)> {
        let mut found = Vec::new();
        let cfg = self.controller.config();
        // A sensor that vanished during an alert keeps it (fail safe).
        let t = s
            .temperature
            .as_ref()
            .map_or("unknown now".to_string(), |t| {
                format!("{:.1} °C", t.celsius)
            });
        if self.controller.holds().thermal {
            found.push((
                "overheated",
                format!(
                    "temperature ({t}) reached the {:.0} °C hard limit: no new job or tab starts until it is under {:.0} °C",
                    cfg.hard_temp, cfg.resume_temp
                ),
            ));
        }
        // Ends 2 °C under the limit, so a temperature hovering at it does
        // not raise and end the alert over and over; it holds through an
        // overheating too (one "recovered" when it is really cool again).
        let hot_open = self.resources.is_open("hot");
        let limit = match hot_open {
            true => cfg.soft_temp - HOT_HYSTERESIS,
            false => cfg.soft_temp,
        };
        let hot = match &s.temperature {
            Some(t) => t.celsius > limit,
            None => hot_open,
        };
        if hot || self.controller.holds().thermal {
            found.push((
                "hot",
                format!(
                    "temperature ({t}) passed the {:.0} °C soft limit: fewer jobs run at a time until it is under {:.0} °C; check the fan and airflow",
                    cfg.soft_temp,
                    cfg.soft_temp - HOT_HYSTERESIS
                ),
            ));
        }
        if let Some(m) = s.available_memory.filter(|m| *m < cfg.memory_floor) {
            found.push((
                "memory_low",
                format!(
                    "only {} MiB of memory available (resources.memory_floor is {} MiB)",
                    m >> 20,
                    cfg.memory_floor >> 20
                ),
            ));
        }
        if let Some(msg) = super::disk::shortage(s.disk_free, self.min_free_disk) {
            found.push(("disk_low", msg));
        }
        if let Some(t) = &s.throttled {
            if t.now.under_voltage {
                found.push((
                    "under_voltage",
                    format!(
                        "the power supply gives too little voltage (get_throttled {:#x}); use a supply rated for the Pi 5",
                        t.raw
                    ),
                ));
            }
            if t.now.throttled || t.now.frequency_capped {
                found.push((
                    "throttled",
                    format!(
                        "the firmware is slowing the CPU (get_throttled {:#x}); check the cooling",
                        t.raw
                    ),
                ));
            }
        }
        found
    }
}

/// Record how late a short sleep wakes up, the worst since the last sample.
async fn probe(worst: &AtomicU64) {
    loop {
        let asked = Instant::now();
        tokio::time::sleep(PROBE).await;
        let late = asked.elapsed().saturating_sub(PROBE);
        worst.fetch_max(late.as_millis() as u64, Ordering::Relaxed);
    }
}

/// `vcgencmd get_throttled`, read rarely and only where it exists.
struct Throttle {
    command: String,
    every: Duration,
    next: Option<Instant>,
    available: bool,
    last: Option<Throttled>,
}

impl Throttle {
    fn new(command: &str, every: Duration) -> Throttle {
        Throttle {
            command: command.to_string(),
            every,
            next: None,
            available: true,
            last: None,
        }
    }

    async fn read(&mut self) -> Option<Throttled> {
        if !self.available || self.next.is_some_and(|n| Instant::now() < n) {
            return self.last;
        }
        self.next = Some(Instant::now() + self.every);
        let run = tokio::process::Command::new(&self.command)
            .arg("get_throttled")
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .output();
        match tokio::time::timeout(VCGENCMD_TIMEOUT, run).await {
            Ok(Ok(out)) => {
                self.last = throttle::parse(&String::from_utf8_lossy(&out.stdout));
                if self.last.is_none() {
                    tracing::debug!(status = %out.status, "vcgencmd get_throttled gave no reading");
                }
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::debug!("vcgencmd is not installed: no throttling flags to read");
                self.available = false;
            }
            Ok(Err(e)) => tracing::debug!(error = %e, "cannot run vcgencmd"),
            Err(_) => tracing::debug!("vcgencmd get_throttled did not answer in time"),
        }
        self.last
    }
}

#[cfg(test)]
mod tests;
