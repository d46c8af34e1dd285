//! How a failed scrape is described and what it leads to: the failure's
//! class, whether it is retried and when, whether a human must look, and when
//! a company's failures add up to quarantine.

use std::time::Duration;

use crate::config::QuarantineConfig;
use crate::fetch::FetchError;
use crate::model::{FailureClass, FailureStats, Timestamp};
use crate::store::StoreError;

#[derive(Debug)]
pub(super) struct Failure {
    pub class: FailureClass,
    pub error: String,
    pub retryable: bool,
    pub attention: Option<String>,
    /// The job is not retried sooner than this (`Retry-After`, open circuit).
    pub retry_after: Option<Duration>,
    /// This failure opened the host's circuit for this long.
    pub opened_circuit: Option<Duration>,
    /// The appliance held the job up (no browser tab allowed now): it waits
    /// and runs again, counting no attempt and no failure of the company.
    pub deferred: bool,
}

impl Failure {
    /// A failure no retry can mend (a bad pattern or URL); `attention` puts
    /// the message in front of a human.
    pub fn fixed(class: FailureClass, message: String, attention: bool) -> Self {
        Failure {
            class,
            attention: attention.then(|| message.clone()),
            error: format!("{class}: {message}"),
            retryable: false,
            retry_after: None,
            opened_circuit: None,
            deferred: false,
        }
    }
}

impl From<FetchError> for Failure {
    fn from(e: FetchError) -> Self {
        let attention = e.needs_attention().then(|| match e.class {
            FailureClass::RobotsDenied => format!("robots.txt forbids the careers page: {e}"),
            _ => format!("careers page unreachable: {e}"),
        });
        Failure {
            class: e.class,
            retryable: e.retryable(),
            attention,
            error: format!("{}: {e}", e.class),
            retry_after: e.retry_after,
            opened_circuit: e.opened_circuit,
            deferred: e.held_back,
        }
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure {
            class: FailureClass::Other,
            error: format!("store: {e}"),
            retryable: true,
            attention: None,
            retry_after: None,
            opened_circuit: None,
            deferred: false,
        }
    }
}

/// Why the company should be quarantined after this failure, if it should:
/// its circuit opened too often, or it has failed for too long.
pub(super) fn quarantine_reason(
    cfg: &QuarantineConfig,
    stats: &FailureStats,
    now: Timestamp,
) -> Option<String> {
    let why = if stats.circuit_opens >= cfg.after_opens {
        format!(
            "its host's circuit opened {} times without a successful scrape (quarantine.after_opens = {})",
            stats.circuit_opens, cfg.after_opens
        )
    } else if let Some(since) = stats.failing_since
        && now.since(since) >= cfg.after_failing_for
    {
        format!(
            "every scrape since {since} failed (quarantine.after_failing_for = {})",
            humantime::format_duration(cfg.after_failing_for)
        )
    } else {
        return None;
    };
    let last: Vec<String> = stats
        .recent
        .iter()
        .rev()
        .take(3)
        .map(|r| format!("{} {}", r.at, r.error))
        .collect();
    Some(format!(
        "quarantined: {why}; last errors: {}. Fix the cause, then `scoutly company set ID --resume`.",
        last.join(" | ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> QuarantineConfig {
        QuarantineConfig {
            after_opens: 3,
            after_failing_for: Duration::from_secs(7 * 86_400),
        }
    }

    #[test]
    fn quarantine_after_repeated_openings_or_long_failure() {
        let day = Duration::from_secs(86_400);
        let t0 = Timestamp::from_millis(1_800_000_000_000);
        let mut stats = FailureStats::default();
        let mut now = t0;
        // A failure a day: after the seventh day of failing, quarantine.
        for _ in 0..7 {
            stats.record(FailureClass::Timeout, "timed out", now);
            assert_eq!(quarantine_reason(&cfg(), &stats, now), None);
            now = now.plus(day);
        }
        stats.record(FailureClass::Timeout, "timed out", now);
        let why = quarantine_reason(&cfg(), &stats, now).unwrap();
        assert!(
            why.contains("quarantine.after_failing_for = 7days"),
            "{why}"
        );
        assert!(why.contains("timed out"), "{why}");
        // A success starts the count again.
        stats.succeeded();
        stats.record(FailureClass::Http5xx, "HTTP status 500", now);
        assert_eq!(quarantine_reason(&cfg(), &stats, now), None);
        stats.circuit_opens = 3;
        let why = quarantine_reason(&cfg(), &stats, now).unwrap();
        assert!(why.contains("opened 3 times"), "{why}");
    }
}
