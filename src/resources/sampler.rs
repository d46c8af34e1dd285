//! One sample of the machine: CPU (overall, per core, this appliance's and
//! everyone else's), load average, memory and swap, the appliance's own RSS
//! and its children's (the headless browser), free disk, temperatures, the
//! fan and battery.
//!
//! Cheap by construction: `sysinfo` refreshes only CPU usage, memory and the
//! appliance's own processes (never the whole process table); the children
//! are found from `/proc/<pid>/task/*/children`, or where the kernel lacks
//! those files, from a walk of `/proc` at most every [`RESCAN`];
//! temperatures, power and disk are a few small sysfs reads and a statvfs.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

use super::controller::Readings;
use super::thermal::{self, Sensor};
use super::throttle::Throttled;
use super::tree;

/// How often the process table is walked to find the appliance's children
/// on kernels that do not list them.
pub const RESCAN: Duration = Duration::from_secs(30);

/// What one sample saw; `None` where the machine would not say.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sample {
    /// All cores together, 0.0-1.0 (`None` on the first sample: usage is
    /// measured between two).
    pub cpu: Option<f64>,
    pub per_core: Vec<f64>,
    /// The appliance and its children, share of all cores.
    pub own_cpu: Option<f64>,
    /// Everything else, share of all cores.
    pub others_cpu: Option<f64>,
    pub load: [f64; 3],
    pub available_memory: Option<u64>,
    pub total_memory: Option<u64>,
    pub swap_used: Option<u64>,
    pub own_rss: Option<u64>,
    /// Resident memory of the appliance's child processes (the headless
    /// browser), summed: pages they share are counted once per process.
    pub children_rss: Option<u64>,
    pub children: usize,
    pub disk_free: Option<u64>,
    /// The deciding sensor.
    pub temperature: Option<SensorView>,
    pub sensors: Vec<SensorView>,
    /// The fan's speed and drive, where the kernel shows a fan.
    pub fan: Option<super::fan::Fan>,
    pub on_battery: Option<bool>,
    /// How late the appliance's own timers fired since the last sample
    /// (filled in by the monitor).
    pub loop_lag_ms: Option<u64>,
    /// `vcgencmd get_throttled`, where it exists (filled in by the monitor).
    pub throttled: Option<Throttled>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SensorView {
    pub label: String,
    pub celsius: f64,
}

impl From<&Sensor> for SensorView {
    fn from(s: &Sensor) -> Self {
        SensorView {
            label: s.label.clone(),
            celsius: s.celsius,
        }
    }
}

impl Sample {
    /// The part the controller decides on.
    pub fn readings(&self) -> Readings {
        Readings {
            cpu: self.cpu,
            available_memory: self.available_memory,
            temperature: self.temperature.as_ref().map(|t| t.celsius),
            loop_lag: self.loop_lag_ms.map(Duration::from_millis),
            others_cpu: self.others_cpu,
            on_battery: self.on_battery,
        }
    }
}

/// Where samples come from: the machine ([`Sampler`]), or a script in
/// tests of what is built on it.
pub trait Source: Send + 'static {
    fn sample(&mut self) -> Sample;
}

impl Source for Sampler {
    fn sample(&mut self) -> Sample {
        Sampler::sample(self)
    }
}

pub struct Sampler {
    sys: System,
    pid: Pid,
    sysfs: PathBuf,
    proc: PathBuf,
    sensor: Option<String>,
    data_dir: Option<PathBuf>,
    samples: u64,
    lists_children: bool,
    children: Vec<Pid>,
    scanned: Option<Instant>,
}

impl Sampler {
    /// `sensor`: the label of the sensor that drives decisions (`None`: the
    /// SoC's, see [`thermal::SOC_SENSORS`]); `data_dir`: whose filesystem's
    /// free space to report.
    pub fn new(sensor: Option<String>, data_dir: Option<PathBuf>) -> Self {
        let proc = PathBuf::from("/proc");
        Sampler {
            sys: System::new(),
            pid: Pid::from_u32(std::process::id()),
            sysfs: PathBuf::from(thermal::SYSFS),
            lists_children: tree::lists_children(&proc),
            proc,
            sensor,
            data_dir,
            samples: 0,
            children: Vec::new(),
            scanned: None,
        }
    }

    pub fn sample(&mut self) -> Sample {
        self.sys.refresh_cpu_usage();
        self.sys.refresh_memory();
        let before = std::mem::take(&mut self.children);
        self.children = self.find_children(&before);
        // The children seen last time are refreshed too, so the dead are
        // dropped from sysinfo's table instead of piling up.
        let mut pids = vec![self.pid];
        pids.extend(self.children.iter().chain(&before).copied());
        pids.sort();
        pids.dedup();
        self.sys.refresh_processes_specifics(
            ProcessesToUpdate::Some(&pids),
            true,
            ProcessRefreshKind::nothing().with_memory().with_cpu(),
        );
        self.children.retain(|p| self.sys.process(*p).is_some());
        self.samples += 1;
        let cores = self.sys.cpus().len();
        let measured = self.samples > 1 && cores > 0;
        let load = System::load_average();
        let total = self.sys.total_memory();
        let sensors = thermal::sensors(&self.sysfs);
        let own = self.sys.process(self.pid);
        let kids = self.children.iter().filter_map(|p| self.sys.process(*p));
        let own_cpu = measured.then(|| {
            let percent: f32 = own
                .into_iter()
                .chain(kids.clone())
                .map(|p| p.cpu_usage())
                .sum();
            (f64::from(percent) / 100.0 / cores as f64).min(1.0)
        });
        let cpu = measured.then(|| f64::from(self.sys.global_cpu_usage()) / 100.0);
        Sample {
            cpu,
            per_core: match measured {
                true => self
                    .sys
                    .cpus()
                    .iter()
                    .map(|c| f64::from(c.cpu_usage()) / 100.0)
                    .collect(),
                false => Vec::new(),
            },
            own_cpu,
            others_cpu: cpu.zip(own_cpu).map(|(all, own)| (all - own).max(0.0)),
            load: [load.one, load.five, load.fifteen],
            available_memory: (total > 0).then(|| self.sys.available_memory()),
            total_memory: (total > 0).then_some(total),
            swap_used: (self.sys.total_swap() > 0).then(|| self.sys.used_swap()),
            own_rss: own.map(|p| p.memory()),
            children_rss: own.map(|_| kids.clone().map(|p| p.memory()).sum()),
            children: self.children.len(),
            disk_free: self.data_dir.as_deref().and_then(super::disk::free_space),
            temperature: thermal::pick(&sensors, self.sensor.as_deref()).map(SensorView::from),
            sensors: sensors.iter().map(SensorView::from).collect(),
            fan: super::fan::read(&self.sysfs),
            on_battery: super::power::on_battery(&self.sysfs),
            loop_lag_ms: None,
            throttled: None,
        }
    }

    fn find_children(&mut self, before: &[Pid]) -> Vec<Pid> {
        let root = self.pid.as_u32();
        let pids = if self.lists_children {
            tree::descendants(&self.proc, root)
        } else if self.scanned.is_none_or(|t| t.elapsed() >= RESCAN) {
            self.scanned = Some(Instant::now());
            tree::descendants_by_scan(&self.proc, root)
        } else {
            return before.to_vec();
        };
        pids.into_iter().map(Pid::from_u32).collect()
    }
}

#[cfg(test)]
mod tests;
