//! The AI plan's limits: requests per minute, tokens per minute, requests
//! per day.
//!
//! Pure arithmetic over [`BudgetUse`], which the analysis worker keeps in
//! the store (so a restart never resets the day's count) and updates in the
//! transaction that stores what a request returned. The minute is a
//! sliding window of the requests made in the last 60 s; the day is the UTC
//! day, reset at midnight UTC. A `429` pauses everything until the
//! provider's `Retry-After`.

use std::time::Duration;

use serde::Serialize;

use crate::config::AiLimits;
use crate::model::{BudgetUse, Timestamp};

const MINUTE: Duration = Duration::from_secs(60);
const DAY_MS: i64 = 86_400_000;

/// Without a `Retry-After`, a 429 pauses this long.
pub const DEFAULT_PAUSE: Duration = Duration::from_secs(60);
/// A 429's pause lasts at least this (`Retry-After: 0` must not make a
/// loop) and at most this (nor may a huge one, or a clock set back, stop
/// analysis for days).
pub const MIN_PAUSE: Duration = Duration::from_secs(1);
pub const MAX_PAUSE: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub limits: AiLimits,
}

/// Why a request has to wait, and until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait {
    pub until: Timestamp,
    pub reason: &'static str,
}

/// The budget's use as `/status` shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BudgetView {
    pub rpm: u32,
    pub tpm: u32,
    pub rpd: u32,
    pub minute_requests: u32,
    pub minute_tokens: u64,
    pub day_requests: u32,
    pub day_tokens: u64,
    pub paused_until: Option<String>,
    pub total_requests: u64,
    pub total_tokens: u64,
}

fn day_of(t: Timestamp) -> u64 {
    t.millis().div_euclid(DAY_MS).max(0) as u64
}

impl Budget {
    pub fn new(limits: AiLimits) -> Self {
        Budget { limits }
    }

    /// Forget what fell out of the minute and the day.
    pub fn roll(&self, u: &mut BudgetUse, now: Timestamp) {
        let today = day_of(now);
        // Only forward: a clock set back over midnight must not hand out a
        // second day's requests.
        if today > u.day {
            u.day = today;
            u.day_requests = 0;
            u.day_tokens = 0;
        }
        // A clock set back leaves entries "in the future"; they age out
        // when the clock passes them again, or here when far off.
        u.minute
            .retain(|(at, _)| now.since(*at) < MINUTE && at.since(now) < MINUTE);
        if u.paused_until.is_some_and(|p| p <= now) {
            u.paused_until = None;
        }
        if let Some(p) = &mut u.paused_until {
            *p = (*p).min(now.plus(MAX_PAUSE));
        }
    }

    /// Whether a request of about `tokens` input tokens may go at `now`.
    pub fn check(&self, u: &BudgetUse, now: Timestamp, tokens: u32) -> Result<(), Wait> {
        let mut u = u.clone();
        self.roll(&mut u, now);
        if let Some(until) = u.paused_until {
            return Err(Wait {
                until,
                reason: "the provider asked to wait (429)",
            });
        }
        if u.day_requests >= self.limits.rpd {
            return Err(Wait {
                until: Timestamp::from_millis((day_of(now) as i64 + 1) * DAY_MS),
                reason: "requests per day used up",
            });
        }
        if u.minute.len() >= self.limits.rpm as usize {
            let oldest = u.minute.iter().map(|(t, _)| *t).min().unwrap_or(now);
            return Err(Wait {
                until: oldest.plus(MINUTE),
                reason: "requests per minute used up",
            });
        }
        let used: u64 = u.minute.iter().map(|(_, n)| u64::from(*n)).sum();
        let need = u64::from(tokens).min(u64::from(self.limits.tpm));
        if used + need > u64::from(self.limits.tpm) {
            // Wait until enough of the minute's tokens have aged out.
            let mut by_time = u.minute.clone();
            by_time.sort_by_key(|(t, _)| *t);
            let mut freed = 0u64;
            let mut until = now;
            for (t, n) in by_time {
                freed += u64::from(n);
                until = t.plus(MINUTE);
                if used - freed + need <= u64::from(self.limits.tpm) {
                    break;
                }
            }
            return Err(Wait {
                until,
                reason: "tokens per minute used up",
            });
        }
        Ok(())
    }

    /// Count a request the provider answered, with the tokens it counted.
    pub fn record(&self, u: &mut BudgetUse, now: Timestamp, tokens: u32) {
        self.roll(u, now);
        u.minute.push((now, tokens));
        u.day_requests += 1;
        u.day_tokens += u64::from(tokens);
        u.total_requests += 1;
        u.total_tokens += u64::from(tokens);
    }

    /// A 429: nothing goes before `now + wait`.
    pub fn pause(&self, u: &mut BudgetUse, now: Timestamp, wait: Option<Duration>) {
        let until = now.plus(wait.unwrap_or(DEFAULT_PAUSE).clamp(MIN_PAUSE, MAX_PAUSE));
        u.paused_until = Some(u.paused_until.map_or(until, |p| p.max(until)));
    }

    pub fn view(&self, u: &BudgetUse, now: Timestamp) -> BudgetView {
        let mut u = u.clone();
        self.roll(&mut u, now);
        BudgetView {
            rpm: self.limits.rpm,
            tpm: self.limits.tpm,
            rpd: self.limits.rpd,
            minute_requests: u.minute.len() as u32,
            minute_tokens: u.minute.iter().map(|(_, n)| u64::from(*n)).sum(),
            day_requests: u.day_requests,
            day_tokens: u.day_tokens,
            paused_until: u.paused_until.map(Timestamp::to_rfc3339),
            total_requests: u.total_requests,
            total_tokens: u.total_tokens,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(rpm: u32, tpm: u32, rpd: u32) -> Budget {
        Budget::new(AiLimits { rpm, tpm, rpd })
    }

    const T0: Timestamp = Timestamp::from_millis(20_000 * DAY_MS + 3_600_000);

    #[test]
    fn requests_per_minute_slide() {
        let b = budget(2, 100_000, 1000);
        let mut u = BudgetUse::default();
        b.record(&mut u, T0, 10);
        b.record(&mut u, T0.plus(Duration::from_secs(20)), 10);
        let w = b
            .check(&u, T0.plus(Duration::from_secs(30)), 10)
            .unwrap_err();
        assert_eq!(w.until, T0.plus(MINUTE));
        assert!(b.check(&u, T0.plus(MINUTE), 10).is_ok());
    }

    #[test]
    fn tokens_per_minute_wait_for_enough_to_age_out() {
        let b = budget(100, 1000, 1000);
        let mut u = BudgetUse::default();
        b.record(&mut u, T0, 600);
        b.record(&mut u, T0.plus(Duration::from_secs(10)), 300);
        assert!(b.check(&u, T0.plus(Duration::from_secs(11)), 100).is_ok());
        let w = b
            .check(&u, T0.plus(Duration::from_secs(11)), 500)
            .unwrap_err();
        assert_eq!(
            (w.until, w.reason),
            (T0.plus(MINUTE), "tokens per minute used up")
        );
        let w = b
            .check(&u, T0.plus(Duration::from_secs(11)), 900)
            .unwrap_err();
        assert_eq!(w.until, T0.plus(Duration::from_secs(70)));
    }

    #[test]
    fn the_day_resets_at_utc_midnight_and_not_before() {
        let b = budget(100, 100_000, 2);
        let mut u = BudgetUse::default();
        b.record(&mut u, T0, 1);
        b.record(&mut u, T0.plus(Duration::from_secs(120)), 1);
        let later = T0.plus(Duration::from_secs(3600));
        let w = b.check(&u, later, 1).unwrap_err();
        assert_eq!(w.until, Timestamp::from_millis(20_001 * DAY_MS));
        assert!(b.check(&u, w.until, 1).is_ok());
        assert_eq!(b.view(&u, later).day_requests, 2);
        assert_eq!(b.view(&u, w.until).day_requests, 0);
        assert_eq!(b.view(&u, w.until).total_requests, 2);
    }

    #[test]
    fn a_429_pauses_until_retry_after() {
        let b = budget(100, 100_000, 100);
        let mut u = BudgetUse::default();
        b.pause(&mut u, T0, Some(Duration::from_secs(30)));
        let w = b
            .check(&u, T0.plus(Duration::from_secs(29)), 1)
            .unwrap_err();
        assert_eq!(w.until, T0.plus(Duration::from_secs(30)));
        assert!(b.check(&u, T0.plus(Duration::from_secs(30)), 1).is_ok());
        b.pause(&mut u, T0, None);
        assert!(b.check(&u, T0.plus(Duration::from_secs(59)), 1).is_err());
    }

    #[test]
    fn pauses_are_bounded_and_a_clock_set_back_gives_no_second_day() {
        let b = budget(100, 100_000, 1);
        let mut u = BudgetUse::default();
        b.pause(&mut u, T0, Some(Duration::ZERO));
        assert_eq!(u.paused_until, Some(T0.plus(MIN_PAUSE)));
        let mut u = BudgetUse::default();
        b.pause(&mut u, T0, Some(Duration::from_secs(86_400 * 30)));
        assert_eq!(u.paused_until, Some(T0.plus(MAX_PAUSE)));
        // A pause stored by a clock that ran a week ahead ends within the cap.
        let mut u = BudgetUse {
            paused_until: Some(T0.plus(Duration::from_secs(7 * 86_400))),
            ..BudgetUse::default()
        };
        b.roll(&mut u, T0);
        assert_eq!(u.paused_until, Some(T0.plus(MAX_PAUSE)));
        let mut u = BudgetUse::default();
        b.record(&mut u, T0, 1);
        let yesterday = T0.minus(Duration::from_secs(86_400));
        assert!(b.check(&u, yesterday, 1).is_err(), "the day's count stands");
    }
}
