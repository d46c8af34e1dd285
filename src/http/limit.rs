//! Per-token rate limits: a token bucket per authenticated token, refilled
//! at `http.rate_limit` requests a minute up to `http.rate_burst`.
//!
//! In memory: a restart forgives everyone, which is harmless for a limit
//! that only protects a small machine from one over-eager client. Time is
//! the monotonic clock, which a wall-clock jump cannot bend.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::model::Id;

/// Buckets kept at most; idle full ones are dropped first.
const MAX_BUCKETS: usize = 10_000;

#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<Id, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32, burst: u32) -> Self {
        RateLimiter {
            per_second: f64::from(per_minute.max(1)) / 60.0,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Take one request for `token`'s owner; `Err(wait)` when none is left.
    pub fn check(&self, owner: Id) -> Result<(), Duration> {
        self.check_at(owner, Instant::now())
    }

    fn check_at(&self, owner: Id, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(&owner) {
            let (per_second, burst) = (self.per_second, self.burst);
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.saturating_duration_since(*at).as_secs_f64() * per_second < burst
            });
        }
        let (tokens, at) = buckets.entry(owner).or_insert((self.burst, now));
        let refill = now.saturating_duration_since(*at).as_secs_f64() * self.per_second;
        *tokens = (*tokens + refill).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / self.per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_refill_rate() {
        let l = RateLimiter::new(60, 3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.check_at(1, t0).is_ok());
        }
        let wait = l.check_at(1, t0).unwrap_err();
        assert!((wait.as_secs_f64() - 1.0).abs() < 0.01, "{wait:?}");
        assert!(
            l.check_at(2, t0).is_ok(),
            "another token has its own bucket"
        );
        assert!(l.check_at(1, t0 + Duration::from_millis(1000)).is_ok());
        assert!(l.check_at(1, t0 + Duration::from_millis(1000)).is_err());
        // A long pause refills only up to the burst.
        let later = t0 + Duration::from_secs(3600);
        for _ in 0..3 {
            assert!(l.check_at(1, later).is_ok());
        }
        assert!(l.check_at(1, later).is_err());
    }
}
