//! Temperatures from Linux's sysfs: hwmon chips first
//! (`/sys/class/hwmon/hwmon*/`: `name`, `tempN_input` in millidegrees, an
//! optional `tempN_label`), thermal zones when no hwmon sensor exists
//! (`/sys/class/thermal/thermal_zone*/`: `type`, `temp`).
//!
//! Sensors are named `"{chip} {label}"` (`cpu_thermal temp1`,
//! `nvme Composite`) because hwmonN numbers change between boots; the
//! operator picks the one that drives decisions by that name.

use std::path::Path;

/// One temperature sensor.
#[derive(Debug, Clone, PartialEq)]
pub struct Sensor {
    pub label: String,
    pub celsius: f64,
}

/// Where sysfs lives (a fixture directory in tests).
pub const SYSFS: &str = "/sys/class";

/// Every readable sensor: hwmon's, or the thermal zones' when hwmon has none.
pub fn sensors(sysfs: &Path) -> Vec<Sensor> {
    let hwmon = hwmon(&sysfs.join("hwmon"));
    if hwmon.is_empty() {
        thermal_zones(&sysfs.join("thermal"))
    } else {
        hwmon
    }
}

/// Sensor names tried, in order, when none is configured: the SoC's on a
/// Raspberry Pi, then the usual x86 package sensors.
pub const SOC_SENSORS: &[&str] = &[
    "cpu_thermal temp1",
    "cpu-thermal",
    "coretemp Package id 0",
    "k10temp Tctl",
    "x86_pkg_temp",
    "acpitz temp1",
];

/// The sensor that drives decisions: the configured label, else the first
/// known SoC sensor present. `None` when it is missing.
pub fn pick<'a>(sensors: &'a [Sensor], configured: Option<&str>) -> Option<&'a Sensor> {
    match configured {
        Some(label) => sensors.iter().find(|s| s.label == label),
        None => SOC_SENSORS
            .iter()
            .find_map(|want| sensors.iter().find(|s| s.label == *want)),
    }
}

/// A sysfs file's text, trimmed; `None` when missing or empty.
pub(super) fn read_trimmed(p: &Path) -> Option<String> {
    std::fs::read_to_string(p)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Millidegrees as written by the kernel; implausible values (a sensor
/// that answers -273 or 0 when it has no reading) are dropped.
fn millidegrees(p: &Path) -> Option<f64> {
    let c = read_trimmed(p)?.parse::<i64>().ok()? as f64 / 1000.0;
    (-40.0..=150.0)
        .contains(&c)
        .then_some(c)
        .filter(|c| *c != 0.0)
}

/// The entries of `dir` whose names start with `prefix`, sorted.
pub(super) fn sorted_entries(dir: &Path, prefix: &str) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

fn hwmon(root: &Path) -> Vec<Sensor> {
    let mut out = Vec::new();
    for chip in sorted_entries(root, "hwmon") {
        let name = read_trimmed(&chip.join("name")).unwrap_or_else(|| "hwmon".into());
        let mut inputs: Vec<(u32, std::path::PathBuf)> = sorted_entries(&chip, "temp")
            .into_iter()
            .filter_map(|p| {
                let file = p.file_name()?.to_str()?.to_string();
                let n = file.strip_prefix("temp")?.strip_suffix("_input")?;
                Some((n.parse().ok()?, p))
            })
            .collect();
        inputs.sort();
        for (n, input) in inputs {
            let Some(celsius) = millidegrees(&input) else {
                continue;
            };
            let label = read_trimmed(&chip.join(format!("temp{n}_label")))
                .unwrap_or_else(|| format!("temp{n}"));
            out.push(Sensor {
                label: format!("{name} {label}"),
                celsius,
            });
        }
    }
    out
}

fn thermal_zones(root: &Path) -> Vec<Sensor> {
    sorted_entries(root, "thermal_zone")
        .into_iter()
        .filter_map(|zone| {
            Some(Sensor {
                label: read_trimmed(&zone.join("type"))?,
                celsius: millidegrees(&zone.join("temp"))?,
            })
        })
        .collect()
}

/// Write a sysfs fixture file (a line, as the kernel writes it).
#[cfg(test)]
pub(super) fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, format!("{text}\n")).unwrap();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Raspberry Pi 5 with an NVMe drive, as sysfs shows it.
    fn pi5(root: &Path) {
        write(root, "hwmon/hwmon0/name", "cpu_thermal");
        write(root, "hwmon/hwmon0/temp1_input", "61250");
        write(root, "hwmon/hwmon1/name", "rp1_adc");
        write(root, "hwmon/hwmon1/temp1_input", "55900");
        write(root, "hwmon/hwmon1/in1_input", "1480");
        write(root, "hwmon/hwmon3/name", "nvme");
        write(root, "hwmon/hwmon3/temp1_input", "42850");
        write(root, "hwmon/hwmon3/temp1_label", "Composite");
        write(root, "hwmon/hwmon3/temp2_input", "-273150");
        write(root, "thermal/thermal_zone0/type", "cpu-thermal");
        write(root, "thermal/thermal_zone0/temp", "61250");
    }

    #[test]
    fn hwmon_sensors_are_named_by_chip_and_label() {
        let dir = tempfile::tempdir().unwrap();
        pi5(dir.path());
        let found = sensors(dir.path());
        let labels: Vec<&str> = found.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(
            labels,
            ["cpu_thermal temp1", "rp1_adc temp1", "nvme Composite"]
        );
        assert_eq!(pick(&found, None).unwrap().celsius, 61.25);
        assert_eq!(pick(&found, Some("nvme Composite")).unwrap().celsius, 42.85);
        assert!(
            pick(&found, Some("gpu temp1")).is_none(),
            "missing, not 0 °C"
        );
    }

    #[test]
    fn thermal_zones_stand_in_when_hwmon_has_nothing() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "thermal/thermal_zone0/type", "cpu-thermal");
        write(dir.path(), "thermal/thermal_zone0/temp", "48312");
        write(dir.path(), "thermal/thermal_zone1/type", "broken");
        write(dir.path(), "thermal/thermal_zone1/temp", "garbage");
        let found = sensors(dir.path());
        assert_eq!(
            found,
            [Sensor {
                label: "cpu-thermal".into(),
                celsius: 48.312
            }]
        );
        assert_eq!(pick(&found, None).unwrap().label, "cpu-thermal");
        // No sysfs at all: nothing, which callers report as missing.
        assert!(sensors(&dir.path().join("absent")).is_empty());
    }
}
