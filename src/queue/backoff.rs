//! Retry delay after a failed attempt.
//!
//! `delay(n) = min(cap, base × factor^(n-1)) × u`, with `u` uniform in
//! `[1 - jitter, 1 + jitter]`, for the n-th failed attempt (n ≥ 1). The jitter
//! spreads retries of many companies that failed together (a network outage)
//! so they do not all come back at the same instant.

use std::time::Duration;

use crate::config::BackoffConfig;

/// Delay before the next attempt; `unit` is a uniform sample from `[0, 1)`.
pub fn delay(cfg: &BackoffConfig, failed_attempts: u32, unit: f64) -> Duration {
    let n = failed_attempts.max(1) - 1;
    let raw = cfg.base.as_secs_f64() * cfg.factor.powi(n.min(64) as i32);
    let capped = raw.min(cfg.cap.as_secs_f64());
    let spread = 1.0 - cfg.jitter + 2.0 * cfg.jitter * unit.clamp(0.0, 1.0);
    Duration::from_secs_f64((capped * spread).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> BackoffConfig {
        BackoffConfig {
            base: Duration::from_secs(30),
            factor: 2.0,
            cap: Duration::from_secs(3600),
            jitter: 0.2,
        }
    }

    #[test]
    fn grows_exponentially_then_caps() {
        let c = cfg();
        assert_eq!(delay(&c, 1, 0.5), Duration::from_secs(30));
        assert_eq!(delay(&c, 2, 0.5), Duration::from_secs(60));
        assert_eq!(delay(&c, 3, 0.5), Duration::from_secs(120));
        assert_eq!(delay(&c, 20, 0.5), Duration::from_secs(3600));
        assert_eq!(delay(&c, 1000, 0.5), Duration::from_secs(3600));
    }

    #[test]
    fn jitter_bounds() {
        let c = cfg();
        assert_eq!(delay(&c, 1, 0.0), Duration::from_secs(24));
        assert_eq!(delay(&c, 1, 1.0), Duration::from_secs(36));
        let no_jitter = BackoffConfig { jitter: 0.0, ..c };
        assert_eq!(delay(&no_jitter, 2, 0.99), Duration::from_secs(60));
    }
}
