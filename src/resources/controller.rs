//! The concurrency controller: readings in, job and tab limits out.
//!
//! The algorithm, after Crawlee's AutoscaledPool and TCP's AIMD:
//! - every sample is marked overloaded when any signal is over its limit
//!   (CPU above a share of all cores, available memory below a floor,
//!   temperature above the soft limit, the appliance's event loop lagging);
//!   a missing reading never counts as overloaded, nor as headroom;
//! - at most once per `interval`, the share of overloaded samples over the
//!   short window decides: above `overload_share`, the job limit halves
//!   (multiplicative decrease) and the tab limit drops by one; when the long
//!   window was (almost) free of overload *and* the current job limit was
//!   actually used, the job limit grows by one (additive increase), and so
//!   does the tab limit when tabs were in use;
//! - thermal safety overrides both, with hysteresis: at or above `hard_temp`
//!   nothing new starts until the temperature is under `resume_temp`;
//!   in-flight work finishes;
//! - browser tabs are allowed only while available memory stays above
//!   `tab_memory_floor`.
//!
//! Invariant: limits stay within their bounds, and change at most once per
//! `interval`.
//!
//! Time is given by the caller (`at`, from any origin), so tests drive it.

use std::collections::VecDeque;
use std::time::Duration;

/// One sample of what the machine is doing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Readings {
    /// CPU use of all cores together, 0.0-1.0.
    pub cpu: Option<f64>,
    pub available_memory: Option<u64>,
    /// The deciding sensor, °C.
    pub temperature: Option<f64>,
    /// How late the appliance's own timers fire.
    pub loop_lag: Option<Duration>,
}

/// How much of the limits is in use when a sample is taken.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub jobs: usize,
    pub tabs: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ControllerConfig {
    pub min_jobs: usize,
    pub max_jobs: usize,
    pub max_tabs: usize,
    pub cpu_limit: f64,
    pub memory_floor: u64,
    pub tab_memory_floor: u64,
    pub soft_temp: f64,
    pub hard_temp: f64,
    pub resume_temp: f64,
    pub lag_limit: Duration,
    pub short_window: Duration,
    pub long_window: Duration,
    pub overload_share: f64,
    pub interval: Duration,
}

impl Default for ControllerConfig {
    fn default() -> Self {
        ControllerConfig {
            min_jobs: 1,
            max_jobs: 5,
            max_tabs: 2,
            cpu_limit: 0.9,
            memory_floor: 512 << 20,
            tab_memory_floor: 1 << 30,
            soft_temp: 70.0,
            hard_temp: 80.0,
            resume_temp: 75.0,
            lag_limit: Duration::from_millis(250),
            short_window: Duration::from_secs(10),
            long_window: Duration::from_secs(60),
            overload_share: 0.4,
            interval: Duration::from_secs(10),
        }
    }
}

/// The limits in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub jobs: usize,
    pub tabs: usize,
    /// Nothing new may start (thermal hold).
    pub paused: bool,
}

/// A change of limits and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub from: Limits,
    pub to: Limits,
    pub reason: String,
}

#[derive(Debug, Clone)]
struct Sample {
    at: Duration,
    overload: Option<String>,
    saturated: bool,
    tabs_used: bool,
}

#[derive(Debug, Clone)]
pub struct Controller {
    cfg: ControllerConfig,
    limits: Limits,
    samples: VecDeque<Sample>,
    last_change: Option<Duration>,
}

impl Controller {
    /// Start at one job (and no tab): the controller earns its way up.
    pub fn new(cfg: ControllerConfig) -> Self {
        Controller {
            limits: Limits {
                jobs: cfg.min_jobs,
                tabs: 0,
                paused: false,
            },
            cfg,
            samples: VecDeque::new(),
            last_change: None,
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Take one sample; returns the change it caused, if any.
    pub fn observe(&mut self, at: Duration, r: &Readings, used: Usage) -> Option<Change> {
        let c = &self.cfg;
        let overload = overload_reason(c, r);
        self.samples.push_back(Sample {
            at,
            overload,
            saturated: used.jobs >= self.limits.jobs,
            tabs_used: used.tabs > 0 && used.tabs >= self.limits.tabs,
        });
        while self
            .samples
            .front()
            .is_some_and(|s| at.saturating_sub(s.at) > c.long_window)
        {
            self.samples.pop_front();
        }
        let from = self.limits;
        let mut to = from;
        let mut reasons = Vec::new();
        // Thermal safety does not wait for the interval.
        match r.temperature {
            Some(t) if t >= c.hard_temp && !from.paused => {
                to.paused = true;
                reasons.push(format!(
                    "temperature {t:.1} °C ≥ {:.0} °C hard limit → pause",
                    c.hard_temp
                ));
            }
            Some(t) if t < c.resume_temp && from.paused => {
                to.paused = false;
                reasons.push(format!(
                    "temperature {t:.1} °C < {:.0} °C → resume",
                    c.resume_temp
                ));
            }
            _ => {}
        }
        let tabs_allowed = r.available_memory.is_none_or(|m| m >= c.tab_memory_floor);
        if !tabs_allowed && to.tabs > 0 {
            to.tabs = 0;
            reasons.push(format!(
                "memory {} MiB < {} MiB tab floor → tabs {}→0",
                r.available_memory.unwrap_or(0) >> 20,
                c.tab_memory_floor >> 20,
                from.tabs
            ));
        }
        let due = self
            .last_change
            .is_none_or(|t| at.saturating_sub(t) >= c.interval);
        if due && reasons.is_empty() {
            let short = self.share(at, c.short_window);
            let long = self.share(at, c.long_window);
            if short.overloaded > c.overload_share {
                let why = short.reason.unwrap_or_default();
                let jobs = (from.jobs / 2).max(c.min_jobs);
                let tabs = from.tabs.saturating_sub(1);
                if jobs != from.jobs || tabs != from.tabs {
                    to.jobs = jobs;
                    to.tabs = tabs;
                    reasons.push(format!(
                        "{why} → jobs {}→{jobs}, tabs {}→{tabs}",
                        from.jobs, from.tabs
                    ));
                }
            } else if long.overloaded < c.overload_share / 2.0 && long.known {
                if short.saturated && from.jobs < c.max_jobs {
                    to.jobs = from.jobs + 1;
                    reasons.push(format!(
                        "headroom and all {} jobs busy → jobs {}→{}",
                        from.jobs, from.jobs, to.jobs
                    ));
                }
                let may_add_tab = tabs_allowed && from.tabs < c.max_tabs;
                if may_add_tab && (from.tabs == 0 || short.tabs_used) {
                    to.tabs = from.tabs + 1;
                    reasons.push(format!("headroom → tabs {}→{}", from.tabs, to.tabs));
                }
            }
        }
        if to == from {
            return None;
        }
        self.limits = to;
        self.last_change = Some(at);
        Some(Change {
            from,
            to,
            reason: reasons.join("; "),
        })
    }

    fn share(&self, at: Duration, window: Duration) -> Share {
        let recent: Vec<&Sample> = self
            .samples
            .iter()
            .filter(|s| at.saturating_sub(s.at) <= window)
            .collect();
        let n = recent.len().max(1) as f64;
        Share {
            overloaded: recent.iter().filter(|s| s.overload.is_some()).count() as f64 / n,
            reason: recent.iter().rev().find_map(|s| s.overload.clone()),
            saturated: recent.iter().any(|s| s.saturated),
            tabs_used: recent.iter().any(|s| s.tabs_used),
            // Growth needs a window's worth of evidence.
            known: recent
                .first()
                .is_some_and(|s| at.saturating_sub(s.at) >= window.mul_f64(0.9)),
        }
    }
}

struct Share {
    overloaded: f64,
    reason: Option<String>,
    saturated: bool,
    tabs_used: bool,
    known: bool,
}

/// Why a sample is overloaded (the first signal over its limit), if it is.
fn overload_reason(c: &ControllerConfig, r: &Readings) -> Option<String> {
    if let Some(cpu) = r.cpu.filter(|v| *v > c.cpu_limit) {
        return Some(format!(
            "CPU {:.0} % > {:.0} %",
            cpu * 100.0,
            c.cpu_limit * 100.0
        ));
    }
    if let Some(m) = r.available_memory.filter(|m| *m < c.memory_floor) {
        return Some(format!(
            "memory {} MiB < {} MiB floor",
            m >> 20,
            c.memory_floor >> 20
        ));
    }
    if let Some(t) = r.temperature.filter(|t| *t > c.soft_temp) {
        return Some(format!(
            "temperature {t:.1} °C > {:.0} °C soft limit",
            c.soft_temp
        ));
    }
    if let Some(lag) = r.loop_lag.filter(|l| *l > c.lag_limit) {
        return Some(format!("event loop {} ms late", lag.as_millis()));
    }
    None
}

#[cfg(test)]
mod tests;
