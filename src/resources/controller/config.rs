//! The controller's settings, and which readings count as overload.

use std::time::Duration;

use super::Readings;

/// What laptop mode does while its condition holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LaptopAction {
    Ignore,
    /// One job (`min_jobs`) and no browser tab.
    Reduce,
    Pause,
}

impl LaptopAction {
    pub const ALL: [LaptopAction; 3] = [Self::Ignore, Self::Reduce, Self::Pause];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ignore => "ignore",
            Self::Reduce => "reduce",
            Self::Pause => "pause",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ControllerConfig {
    /// Off: limits fixed at their maximum (safety holds still apply).
    pub adaptive: bool,
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
    pub on_battery: LaptopAction,
    pub when_busy: LaptopAction,
    /// Other processes' share of all cores above which someone is working.
    pub busy_cpu: f64,
}

/// The built-in configuration's controller (`workers`, `browser` and
/// `resources` defaults), so tests and simulations run what ships.
impl Default for ControllerConfig {
    fn default() -> Self {
        Self::from_config(&crate::config::Config::defaults())
    }
}

/// Why a sample is overloaded, and whether it is urgent.
#[derive(Debug, Clone)]
pub(super) struct Overload {
    pub reason: String,
    /// Memory running out or the appliance itself lagging: the job limit
    /// halves. CPU and the soft temperature limit, slower and harmless in
    /// the short run (the hard limit guards against heat), take one job off.
    pub urgent: bool,
}

/// The first signal over its limit, urgent ones first.
pub(super) fn overload_reason(c: &ControllerConfig, r: &Readings) -> Option<Overload> {
    let urgent = |reason| {
        Some(Overload {
            reason,
            urgent: true,
        })
    };
    let gentle = |reason| {
        Some(Overload {
            reason,
            urgent: false,
        })
    };
    if let Some(m) = r.available_memory.filter(|m| *m < c.memory_floor) {
        return urgent(format!(
            "memory {} MiB < {} MiB floor",
            m >> 20,
            c.memory_floor >> 20
        ));
    }
    if let Some(lag) = r.loop_lag.filter(|l| *l > c.lag_limit) {
        return urgent(format!("event loop {} ms late", lag.as_millis()));
    }
    if let Some(cpu) = r.cpu.filter(|v| *v > c.cpu_limit) {
        return gentle(format!(
            "CPU {:.0} % > {:.0} %",
            cpu * 100.0,
            c.cpu_limit * 100.0
        ));
    }
    if let Some(t) = r.temperature.filter(|t| *t > c.soft_temp) {
        return gentle(format!(
            "temperature {t:.1} °C > {:.0} °C soft limit",
            c.soft_temp
        ));
    }
    None
}

impl ControllerConfig {
    /// The controller `config` describes: its bounds come from
    /// `workers.max_concurrency`, `browser.tabs` and
    /// `browser.min_available_memory`.
    pub fn from_config(config: &crate::config::Config) -> Self {
        let r = &config.resources;
        ControllerConfig {
            adaptive: r.adaptive,
            min_jobs: r.min_jobs.min(config.workers.max_concurrency),
            max_jobs: config.workers.max_concurrency,
            max_tabs: config.browser.tabs,
            cpu_limit: r.cpu_limit,
            memory_floor: r.memory_floor,
            tab_memory_floor: config.browser.min_available_memory,
            soft_temp: r.soft_temp,
            hard_temp: r.hard_temp,
            resume_temp: r.resume_temp,
            lag_limit: r.lag_limit,
            short_window: r.short_window,
            long_window: r.long_window,
            overload_share: r.overload_share,
            interval: r.interval,
            on_battery: r.on_battery,
            when_busy: r.when_busy,
            busy_cpu: r.busy_cpu,
        }
    }
}
