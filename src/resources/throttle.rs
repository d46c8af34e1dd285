//! `vcgencmd get_throttled` on a Raspberry Pi: `throttled=0x50005`.
//!
//! Bits (Raspberry Pi documentation): 0 under-voltage detected, 1 ARM
//! frequency capped, 2 currently throttled, 3 soft temperature limit active;
//! 16-19 the same conditions have occurred since boot.

/// One set of the four conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Conditions {
    pub under_voltage: bool,
    pub frequency_capped: bool,
    pub throttled: bool,
    pub soft_temp_limit: bool,
}

impl Conditions {
    fn from_bits(bits: u32) -> Self {
        Conditions {
            under_voltage: bits & 1 != 0,
            frequency_capped: bits & 2 != 0,
            throttled: bits & 4 != 0,
            soft_temp_limit: bits & 8 != 0,
        }
    }

    pub fn any(&self) -> bool {
        self.under_voltage || self.frequency_capped || self.throttled || self.soft_temp_limit
    }
}

/// The decoded flags: what holds now, and what has happened since boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Throttled {
    pub raw: u32,
    pub now: Conditions,
    pub since_boot: Conditions,
}

/// Parse `vcgencmd get_throttled` output; `None` for anything else.
pub fn parse(output: &str) -> Option<Throttled> {
    let value = output.trim().strip_prefix("throttled=")?;
    let hex = value
        .strip_prefix("0x")
        .or_else(|| value.strip_prefix("0X"))?;
    let raw = u32::from_str_radix(hex, 16).ok()?;
    Some(Throttled {
        raw,
        now: Conditions::from_bits(raw),
        since_boot: Conditions::from_bits(raw >> 16),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_throttled_bits_are_decoded() {
        let healthy = parse("throttled=0x0\n").unwrap();
        assert!(!healthy.now.any() && !healthy.since_boot.any());
        // Under-voltage and throttled now, and both since boot.
        let t = parse("throttled=0x50005").unwrap();
        assert!(t.now.under_voltage && t.now.throttled);
        assert!(!t.now.frequency_capped && !t.now.soft_temp_limit);
        assert!(t.since_boot.under_voltage && t.since_boot.throttled);
        // Only history: a soft limit and a frequency cap since boot.
        let past = parse("throttled=0xa0000").unwrap();
        assert!(!past.now.any());
        assert!(past.since_boot.frequency_capped && past.since_boot.soft_temp_limit);
        for bad in [
            "",
            "0x5",
            "throttled=",
            "throttled=zz",
            "VCHI initialization failed",
        ] {
            assert!(parse(bad).is_none(), "{bad:?}");
        }
    }
}
