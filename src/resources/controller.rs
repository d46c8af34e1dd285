//! The concurrency controller: readings in, job and tab limits out.
//!
//! The algorithm, after Crawlee's AutoscaledPool and TCP's AIMD:
//! - every sample is marked overloaded when any signal is over its limit
//!   (CPU above a share of all cores, available memory below a floor,
//!   temperature above the soft limit, the appliance's event loop lagging);
//!   a missing reading never counts as overloaded, nor as headroom;
//! - at most once per `interval`, the share of overloaded samples over the
//!   short window decides: above `overload_share`, the job limit halves
//!   when memory or the event loop was among the causes (multiplicative
//!   decrease), and drops by one for CPU or the soft temperature limit
//!   (slow signals, where halving overshoots: the simulation in
//!   bench/README.md), and the tab limit drops by one; when the long
//!   window (as far back as samples reach, at least a short window) had
//!   under half that share overloaded *and* the current job limit was
//!   actually used, the job limit grows by one (additive increase), and so
//!   does the tab limit when tabs were in use;
//! - thermal safety overrides both, with hysteresis: at or above `hard_temp`
//!   nothing new starts until the temperature is under `resume_temp`;
//!   in-flight work finishes;
//! - browser tabs are allowed only while available memory stays above
//!   `tab_memory_floor`: they close when most of the short window was
//!   under it, and open again only with a quarter of the floor to spare;
//! - laptop mode: while on battery, or while other processes keep more than
//!   `busy_cpu` of all cores busy (the short window's share of such samples
//!   above `overload_share`, until the short window has none and the long
//!   window's share is under a quarter of `overload_share`),
//!   the configured [`LaptopAction`] caps the limits: one job and no tab, or
//!   a pause. Growth starts again from there when the cause ends.
//!
//! With `adaptive` off, the limits sit at their maximum; the thermal hold,
//! the tab memory floor and laptop mode still apply.
//!
//! Invariant: limits stay within their bounds, and AIMD changes them at
//! most once per `interval` (safety holds act at once).
//!
//! Time is given by the caller (`at`, from any origin), so tests drive it.

use std::collections::VecDeque;
use std::time::Duration;

mod config;

pub use config::{ControllerConfig, LaptopAction};
use config::{Overload, overload_reason};

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
    /// CPU use of other processes, share of all cores.
    pub others_cpu: Option<f64>,
    pub on_battery: Option<bool>,
}

/// How much of the limits is in use when a sample is taken.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub jobs: usize,
    pub tabs: usize,
}

/// The limits in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Limits {
    pub jobs: usize,
    pub tabs: usize,
    /// Nothing new may start (thermal hold, or laptop mode's pause).
    pub paused: bool,
}

/// A change of limits and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub from: Limits,
    pub to: Limits,
    pub reason: String,
}

/// What holds the limits below what the readings alone would allow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Holds {
    /// The hard temperature limit was reached and the resume threshold not
    /// yet crossed back.
    pub thermal: bool,
    /// On battery, with laptop mode acting on it.
    pub on_battery: bool,
    /// Other processes are busy, with laptop mode acting on it.
    pub busy: bool,
}

#[derive(Debug, Clone)]
struct Sample {
    at: Duration,
    overload: Option<Overload>,
    busy: bool,
    /// Available memory under the tab floor.
    tight: bool,
    saturated: bool,
    tabs_used: bool,
}

#[derive(Debug, Clone)]
pub struct Controller {
    cfg: ControllerConfig,
    limits: Limits,
    holds: Holds,
    samples: VecDeque<Sample>,
    last_change: Option<Duration>,
}

impl Controller {
    /// Adaptive, start at the lowest job limit: the controller earns its way
    /// up. Fixed, start at the maximum.
    pub fn new(cfg: ControllerConfig) -> Self {
        let limits = match cfg.adaptive {
            // One tab (the first sample closes it below the memory floor),
            // so a browser company need not wait a long window for it.
            true => Limits {
                jobs: cfg.min_jobs,
                tabs: cfg.max_tabs.min(1),
                paused: false,
            },
            false => Limits {
                jobs: cfg.max_jobs,
                tabs: cfg.max_tabs,
                paused: false,
            },
        };
        Controller {
            limits,
            holds: Holds::default(),
            cfg,
            samples: VecDeque::new(),
            last_change: None,
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    pub fn holds(&self) -> Holds {
        self.holds
    }

    pub fn config(&self) -> &ControllerConfig {
        &self.cfg
    }

    /// Take one sample; returns the change it caused, if any.
    pub fn observe(&mut self, at: Duration, r: &Readings, used: Usage) -> Option<Change> {
        let c = self.cfg.clone();
        self.samples.push_back(Sample {
            at,
            overload: overload_reason(&c, r),
            busy: r.others_cpu.is_some_and(|o| o > c.busy_cpu),
            tight: r.available_memory.is_some_and(|m| m < c.tab_memory_floor),
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
        let held = self.holds;
        // Safety and laptop mode act at once, without waiting for the interval.
        let mut causes = self.update_holds(at, r);
        let cap = self.cap();
        let mut to = Limits {
            paused: self.holds.thermal || cap == LaptopAction::Pause,
            ..from
        };
        if cap >= LaptopAction::Reduce {
            to.jobs = to.jobs.min(c.min_jobs);
            to.tabs = 0;
        }
        // Tabs close when memory stays under the floor (most of the short
        // window) and open again only with a quarter of the floor to spare:
        // Chromium's own memory must not make it close and relaunch in turn.
        let tight = self.share(at, c.short_window).tight > c.overload_share;
        let roomy = r
            .available_memory
            .is_none_or(|m| m >= c.tab_memory_floor + c.tab_memory_floor / 4);
        let tabs_allowed = !tight && roomy;
        if tight && to.tabs > 0 {
            to.tabs = 0;
            causes.push(format!(
                "memory {} MiB < {} MiB tab floor",
                r.available_memory.unwrap_or(0) >> 20,
                c.tab_memory_floor >> 20,
            ));
        }
        let due = self
            .last_change
            .is_none_or(|t| at.saturating_sub(t) >= c.interval);
        if cap == LaptopAction::Ignore && !c.adaptive {
            to.jobs = c.max_jobs;
            to.tabs = match (tight, roomy) {
                (true, _) => 0,
                (false, true) => c.max_tabs,
                (false, false) => to.tabs,
            };
            if to != from && causes.is_empty() {
                causes.push("fixed limits (resources.adaptive = false)".into());
            }
        } else if cap == LaptopAction::Ignore && due && causes.is_empty() {
            causes.extend(self.aimd(at, tabs_allowed, &mut to));
        }
        if to == from && held == self.holds {
            return None;
        }
        if to != from {
            self.limits = to;
            self.last_change = Some(at);
        }
        Some(Change {
            from,
            to,
            reason: format!("{} → {}", causes.join("; "), describe(from, to)),
        })
    }

    /// Thermal hold and laptop mode; returns what changed.
    fn update_holds(&mut self, at: Duration, r: &Readings) -> Vec<String> {
        let c = &self.cfg;
        let mut causes = Vec::new();
        match r.temperature {
            Some(t) if t >= c.hard_temp && !self.holds.thermal => {
                self.holds.thermal = true;
                causes.push(format!(
                    "temperature {t:.1} °C ≥ {:.0} °C hard limit",
                    c.hard_temp
                ));
            }
            Some(t) if t < c.resume_temp && self.holds.thermal => {
                self.holds.thermal = false;
                causes.push(format!(
                    "temperature {t:.1} °C < {:.0} °C resume threshold",
                    c.resume_temp
                ));
            }
            _ => {}
        }
        let battery = c.on_battery != LaptopAction::Ignore && r.on_battery == Some(true);
        if battery != self.holds.on_battery {
            self.holds.on_battery = battery;
            causes.push(
                if battery {
                    "on battery"
                } else {
                    "on mains power"
                }
                .into(),
            );
        }
        if c.when_busy != LaptopAction::Ignore {
            let busy = match self.holds.busy {
                true => {
                    self.share(at, c.short_window).busy > 0.0
                        || self.share(at, c.long_window).busy >= c.overload_share / 4.0
                }
                false => self.share(at, c.short_window).busy > c.overload_share,
            };
            if busy != self.holds.busy {
                self.holds.busy = busy;
                let others = r.others_cpu.unwrap_or(0.0) * 100.0;
                causes.push(match busy {
                    true => format!(
                        "other processes use {others:.0} % of the CPU (> {:.0} %)",
                        c.busy_cpu * 100.0
                    ),
                    false => format!("other processes quiet ({others:.0} % of the CPU)"),
                });
            }
        }
        causes
    }

    /// The strongest laptop-mode action in force.
    fn cap(&self) -> LaptopAction {
        let battery = match self.holds.on_battery {
            true => self.cfg.on_battery,
            false => LaptopAction::Ignore,
        };
        let busy = match self.holds.busy {
            true => self.cfg.when_busy,
            false => LaptopAction::Ignore,
        };
        battery.max(busy)
    }

    /// Additive increase, multiplicative decrease; returns the cause.
    fn aimd(&self, at: Duration, tabs_allowed: bool, to: &mut Limits) -> Option<String> {
        let c = &self.cfg;
        let from = *to;
        let short = self.share(at, c.short_window);
        let long = self.share(at, c.long_window);
        if short.overloaded > c.overload_share {
            let last = short.last.unwrap_or(Overload {
                reason: String::new(),
                urgent: false,
            });
            to.jobs = match short.urgent {
                true => from.jobs / 2,
                false => from.jobs.saturating_sub(1),
            }
            .max(c.min_jobs);
            to.tabs = from.tabs.saturating_sub(1);
            return Some(last.reason);
        }
        // Growth needs a short window's worth of evidence (so a fresh start
        // climbs within seconds), and the long window, as far as it reaches,
        // almost free of overload.
        if long.overloaded >= c.overload_share / 2.0 || long.span < c.short_window.mul_f64(0.9) {
            return None;
        }
        let mut causes = Vec::new();
        if short.saturated && from.jobs < c.max_jobs {
            to.jobs = from.jobs + 1;
            causes.push(format!("headroom and all {} jobs busy", from.jobs));
        }
        if tabs_allowed && from.tabs < c.max_tabs && (from.tabs == 0 || short.tabs_used) {
            to.tabs = from.tabs + 1;
            causes.push("headroom for a tab".to_string());
        }
        (!causes.is_empty()).then(|| causes.join(", "))
    }

    fn share(&self, at: Duration, window: Duration) -> Share {
        let recent: Vec<&Sample> = self
            .samples
            .iter()
            .filter(|s| at.saturating_sub(s.at) <= window)
            .collect();
        let n = recent.len().max(1) as f64;
        let part = |f: fn(&Sample) -> bool| recent.iter().filter(|s| f(s)).count() as f64 / n;
        Share {
            overloaded: part(|s| s.overload.is_some()),
            busy: part(|s| s.busy),
            tight: part(|s| s.tight),
            last: recent.iter().rev().find_map(|s| s.overload.clone()),
            urgent: recent
                .iter()
                .any(|s| s.overload.as_ref().is_some_and(|o| o.urgent)),
            saturated: recent.iter().any(|s| s.saturated),
            tabs_used: recent.iter().any(|s| s.tabs_used),
            span: recent
                .first()
                .map_or(Duration::ZERO, |s| at.saturating_sub(s.at)),
        }
    }
}

struct Share {
    overloaded: f64,
    busy: f64,
    tight: f64,
    /// The latest overload, and whether any was urgent.
    last: Option<Overload>,
    urgent: bool,
    saturated: bool,
    tabs_used: bool,
    /// How far back the window's samples reach.
    span: Duration,
}

/// "jobs 4→2, tabs 1→0, paused": what differs between two limits.
fn describe(from: Limits, to: Limits) -> String {
    let mut parts = Vec::new();
    if from.jobs != to.jobs {
        parts.push(format!("jobs {}→{}", from.jobs, to.jobs));
    }
    if from.tabs != to.tabs {
        parts.push(format!("tabs {}→{}", from.tabs, to.tabs));
    }
    match (from.paused, to.paused) {
        (false, true) => parts.push("pause".into()),
        (true, false) => parts.push("resume".into()),
        _ => {}
    }
    if parts.is_empty() {
        return "limits unchanged".into();
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests;
