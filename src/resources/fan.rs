//! The fan, where the kernel shows one: a hwmon chip named `pwmfan` (the
//! Raspberry Pi 5's Active Cooler and case fan, driven by the firmware's
//! `fan_temp*` curve) or `cooling_fan`, with `fan1_input` (rpm) and `pwm1`
//! (0-255).
//!
//! Read only, never set: the kernel's thermal governor already drives the
//! fan from the SoC temperature with the curve in `config.txt`, and a second
//! controller fighting it would make the speed hunt (see
//! `firmware-notes/README.md`).

use std::path::Path;

use super::thermal::{read_trimmed, sorted_entries};

/// Fan chips' hwmon names.
const FAN_CHIPS: &[&str] = &["pwmfan", "cooling_fan"];

/// The fan's speed and drive; either may be missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fan {
    pub rpm: Option<u32>,
    /// Drive, 0-100 % (`pwm1` is 0-255).
    pub pwm_percent: Option<u8>,
}

fn number(p: &Path) -> Option<u32> {
    read_trimmed(p)?.parse().ok()
}

/// The first fan chip under `sysfs/hwmon`, or `None` without one (or when
/// it reports neither speed nor drive).
pub fn read(sysfs: &Path) -> Option<Fan> {
    sorted_entries(&sysfs.join("hwmon"), "hwmon")
        .into_iter()
        .find_map(|chip| {
            let name = read_trimmed(&chip.join("name"))?;
            if !FAN_CHIPS.contains(&name.as_str()) {
                return None;
            }
            let fan = Fan {
                rpm: number(&chip.join("fan1_input")),
                pwm_percent: number(&chip.join("pwm1"))
                    .filter(|p| *p <= 255)
                    .map(|p| ((p * 100 + 127) / 255) as u8),
            };
            (fan.rpm.is_some() || fan.pwm_percent.is_some()).then_some(fan)
        })
}

impl Fan {
    /// Speed and drive as a person reads them: "3120 rpm (45 %)".
    pub fn reading(&self) -> String {
        match (self.rpm, self.pwm_percent) {
            (Some(rpm), Some(pwm)) => format!("{rpm} rpm ({pwm} %)"),
            (Some(rpm), None) => format!("{rpm} rpm"),
            (None, Some(pwm)) => format!("at {pwm} %"),
            (None, None) => "not reading".into(),
        }
    }
}

impl std::fmt::Display for Fan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "fan {}", self.reading())
    }
}

#[cfg(test)]
mod tests {
    use super::super::thermal::write;
    use super::*;

    #[test]
    fn a_pi5_fan_is_read_next_to_other_chips() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "hwmon/hwmon0/name", "cpu_thermal");
        write(dir.path(), "hwmon/hwmon0/temp1_input", "61250");
        write(dir.path(), "hwmon/hwmon2/name", "pwmfan");
        write(dir.path(), "hwmon/hwmon2/fan1_input", "3120");
        write(dir.path(), "hwmon/hwmon2/pwm1", "115");
        let fan = read(dir.path()).unwrap();
        assert_eq!(
            fan,
            Fan {
                rpm: Some(3120),
                pwm_percent: Some(45)
            }
        );
        assert_eq!(fan.to_string(), "fan 3120 rpm (45 %)");
    }

    #[test]
    fn no_fan_or_an_unreadable_one_is_missing_not_zero() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()), None, "no hwmon at all");
        write(dir.path(), "hwmon/hwmon0/name", "cpu_thermal");
        assert_eq!(read(dir.path()), None, "no fan chip");
        write(dir.path(), "hwmon/hwmon1/name", "pwmfan");
        write(dir.path(), "hwmon/hwmon1/fan1_input", "garbage");
        assert_eq!(read(dir.path()), None, "nothing readable");
        write(dir.path(), "hwmon/hwmon1/pwm1", "255");
        assert_eq!(
            read(dir.path()),
            Some(Fan {
                rpm: None,
                pwm_percent: Some(100)
            })
        );
    }
}
