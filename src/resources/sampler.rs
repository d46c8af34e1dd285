//! One sample of the machine: CPU (overall and per core), load average,
//! memory and swap, the appliance's own RSS, temperatures and battery.
//!
//! Cheap by construction: `sysinfo` refreshes only CPU usage, memory and
//! this one process (never the process table); temperatures and power are
//! a few small sysfs reads.

use std::path::PathBuf;

use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

use super::controller::Readings;
use super::thermal::{self, Sensor};

/// What one sample saw; `None` where the machine would not say.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sample {
    /// All cores together, 0.0-1.0 (`None` on the first sample: usage is
    /// measured between two).
    pub cpu: Option<f64>,
    pub per_core: Vec<f64>,
    pub load: [f64; 3],
    pub available_memory: Option<u64>,
    pub total_memory: Option<u64>,
    pub swap_used: Option<u64>,
    pub own_rss: Option<u64>,
    /// The deciding sensor.
    pub temperature: Option<SensorView>,
    pub sensors: Vec<SensorView>,
    pub on_battery: Option<bool>,
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
            loop_lag: None,
        }
    }
}

pub struct Sampler {
    sys: System,
    pid: Pid,
    sysfs: PathBuf,
    sensor: Option<String>,
    samples: u64,
}

impl Sampler {
    /// `sensor`: the label of the sensor that drives decisions (`None`: the
    /// SoC's, see [`thermal::SOC_SENSORS`]).
    pub fn new(sensor: Option<String>) -> Self {
        Sampler {
            sys: System::new(),
            pid: Pid::from_u32(std::process::id()),
            sysfs: PathBuf::from(thermal::SYSFS),
            sensor,
            samples: 0,
        }
    }

    pub fn sample(&mut self) -> Sample {
        self.sys.refresh_cpu_usage();
        self.sys.refresh_memory();
        self.sys.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[self.pid]),
            false,
            ProcessRefreshKind::nothing().with_memory(),
        );
        self.samples += 1;
        let measured = self.samples > 1 && !self.sys.cpus().is_empty();
        let load = System::load_average();
        let total = self.sys.total_memory();
        let sensors = thermal::sensors(&self.sysfs);
        Sample {
            cpu: measured.then(|| f64::from(self.sys.global_cpu_usage()) / 100.0),
            per_core: match measured {
                true => self
                    .sys
                    .cpus()
                    .iter()
                    .map(|c| f64::from(c.cpu_usage()) / 100.0)
                    .collect(),
                false => Vec::new(),
            },
            load: [load.one, load.five, load.fifteen],
            available_memory: (total > 0).then(|| self.sys.available_memory()),
            total_memory: (total > 0).then_some(total),
            swap_used: (self.sys.total_swap() > 0).then(|| self.sys.used_swap()),
            own_rss: self.sys.process(self.pid).map(|p| p.memory()),
            temperature: thermal::pick(&sensors, self.sensor.as_deref()).map(SensorView::from),
            sensors: sensors.iter().map(SensorView::from).collect(),
            on_battery: super::power::on_battery(&self.sysfs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_of_this_machine_is_plausible() {
        let mut s = Sampler::new(None);
        let first = s.sample();
        assert_eq!(first.cpu, None, "usage needs two samples");
        let busy_until = std::time::Instant::now() + std::time::Duration::from_millis(250);
        while std::time::Instant::now() < busy_until {
            std::hint::black_box(0u64.wrapping_add(1));
        }
        let second = s.sample();
        let cpu = second.cpu.expect("measured between two samples");
        assert!((0.0..=1.0).contains(&cpu), "{cpu}");
        assert_eq!(
            second.per_core.len(),
            std::thread::available_parallelism().unwrap().get()
        );
        let (avail, total) = (
            second.available_memory.unwrap(),
            second.total_memory.unwrap(),
        );
        assert!(avail > 0 && avail <= total);
        assert!(second.own_rss.unwrap() > 1 << 20, "{:?}", second.own_rss);
        // Whatever sensors exist, the deciding one is one of them or missing.
        match &second.temperature {
            Some(t) => assert!(second.sensors.contains(t)),
            None => assert!(thermal::pick(&[], None).is_none()),
        }
        assert_eq!(second.readings().cpu, second.cpu);
    }
}
