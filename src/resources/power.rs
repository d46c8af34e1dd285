//! Whether the machine runs on battery, from `/sys/class/power_supply`:
//! each supply has a `type` (`Mains`, `Battery`, `USB`, …); mains and USB
//! supplies say `online`, batteries say `status` (`Discharging`, `Charging`,
//! `Full`, `Not charging`).
//!
//! On battery means: a battery is discharging, or no external supply is
//! online while a battery exists. A machine without a battery (a Pi, a
//! server) is never on battery; one whose supplies cannot be read is
//! reported as unknown (`None`).

use std::path::Path;

pub fn on_battery(sysfs: &Path) -> Option<bool> {
    let dir = std::fs::read_dir(sysfs.join("power_supply")).ok()?;
    let (mut battery, mut discharging, mut external_online) = (false, false, false);
    for entry in dir.flatten() {
        let p = entry.path();
        let read = |f: &str| {
            std::fs::read_to_string(p.join(f))
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        match read("type").as_str() {
            "Battery" => {
                // Peripheral batteries (a mouse's) have `scope` = Device.
                if read("scope") == "Device" {
                    continue;
                }
                battery = true;
                discharging |= read("status") == "Discharging";
            }
            "Mains" | "USB" | "USB_C" | "USB_PD" => external_online |= read("online") == "1",
            _ => {}
        }
    }
    Some(battery && (discharging || !external_online))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn supply(root: &Path, name: &str, files: &[(&str, &str)]) {
        let d = root.join("power_supply").join(name);
        std::fs::create_dir_all(&d).unwrap();
        for (f, v) in files {
            std::fs::write(d.join(f), format!("{v}\n")).unwrap();
        }
    }

    #[test]
    fn battery_state_is_read_from_the_supplies() {
        let laptop = tempfile::tempdir().unwrap();
        supply(laptop.path(), "AC", &[("type", "Mains"), ("online", "1")]);
        supply(
            laptop.path(),
            "BAT0",
            &[("type", "Battery"), ("status", "Charging")],
        );
        assert_eq!(on_battery(laptop.path()), Some(false));
        supply(laptop.path(), "AC", &[("type", "Mains"), ("online", "0")]);
        supply(
            laptop.path(),
            "BAT0",
            &[("type", "Battery"), ("status", "Discharging")],
        );
        assert_eq!(on_battery(laptop.path()), Some(true));

        // A Pi: no battery, a wireless mouse's battery does not count.
        let pi = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(pi.path().join("power_supply")).unwrap();
        assert_eq!(on_battery(pi.path()), Some(false));
        supply(
            pi.path(),
            "hidpp_battery_0",
            &[
                ("type", "Battery"),
                ("scope", "Device"),
                ("status", "Discharging"),
            ],
        );
        assert_eq!(on_battery(pi.path()), Some(false));
        assert_eq!(on_battery(&pi.path().join("absent")), None);
    }
}
