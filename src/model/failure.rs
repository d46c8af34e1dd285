//! Why a scrape failed, as a small closed set of classes that users, the API,
//! metrics and the circuit breaker share, and the per-company record of them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Timestamp;

/// The class of a failed fetch or scrape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum FailureClass {
    Timeout,
    Dns,
    Connect,
    Tls,
    /// A 4xx other than 429.
    Http4xx,
    Http429,
    Http5xx,
    /// A captcha or bot wall, recognised by status and content.
    Blocked,
    RobotsDenied,
    /// robots.txt answered 5xx or could not be fetched: nothing on the host is
    /// fetched until it answers.
    RobotsUnreachable,
    /// The host's circuit breaker is open after repeated failures.
    CircuitOpen,
    TooLarge,
    TooManyRedirects,
    /// A redirect into an address the policy refuses.
    UnsafeRedirect,
    /// The configured URL itself points at a refused address or scheme.
    UnsafeTarget,
    Parse,
    /// Anything else (a protocol error, the store).
    Other,
}

impl FailureClass {
    pub const ALL: [FailureClass; 17] = [
        Self::Timeout,
        Self::Dns,
        Self::Connect,
        Self::Tls,
        Self::Http4xx,
        Self::Http429,
        Self::Http5xx,
        Self::Blocked,
        Self::RobotsDenied,
        Self::RobotsUnreachable,
        Self::CircuitOpen,
        Self::TooLarge,
        Self::TooManyRedirects,
        Self::UnsafeRedirect,
        Self::UnsafeTarget,
        Self::Parse,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Dns => "dns",
            Self::Connect => "connect",
            Self::Tls => "tls",
            Self::Http4xx => "http_4xx",
            Self::Http429 => "http_429",
            Self::Http5xx => "http_5xx",
            Self::Blocked => "blocked",
            Self::RobotsDenied => "robots_denied",
            Self::RobotsUnreachable => "robots_unreachable",
            Self::CircuitOpen => "circuit_open",
            Self::TooLarge => "too_large",
            Self::TooManyRedirects => "too_many_redirects",
            Self::UnsafeRedirect => "unsafe_redirect",
            Self::UnsafeTarget => "unsafe_target",
            Self::Parse => "parse",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The class a job's error message names: the worker writes it as
    /// `"{class}: {detail}"`; anything else (a crash rescue) is `Other`.
    pub fn of_error(message: &str) -> Self {
        message
            .split_once(": ")
            .and_then(|(class, _)| Self::parse(class))
            .unwrap_or(Self::Other)
    }

    /// Worth trying again later: trouble on the network or the server side.
    /// Refusals, pages that are gone and robots' "no" stay as they are until
    /// someone changes something.
    pub fn retryable(self) -> bool {
        self.host_trouble()
            || matches!(
                self,
                Self::RobotsUnreachable | Self::CircuitOpen | Self::Other
            )
    }

    /// Says something about the host rather than one page: counts towards
    /// the host's circuit breaker.
    pub fn host_trouble(self) -> bool {
        matches!(
            self,
            Self::Timeout
                | Self::Dns
                | Self::Connect
                | Self::Tls
                | Self::Http429
                | Self::Http5xx
                | Self::Blocked
        )
    }
}

impl std::fmt::Display for FailureClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How many recent failures a company's record keeps.
pub const RECENT_FAILURES: usize = 5;

/// A company's failures by class, its last few errors, and what the circuit
/// breaker and quarantine decide from.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FailureStats {
    pub by_class: BTreeMap<FailureClass, u64>,
    /// Newest last, at most [`RECENT_FAILURES`].
    pub recent: Vec<RecentFailure>,
    /// Times the company's host circuit opened since its last success (or
    /// since the operator resumed it).
    pub circuit_opens: u32,
    /// First failure since the last success.
    pub failing_since: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentFailure {
    pub at: Timestamp,
    pub class: FailureClass,
    pub error: String,
}

impl FailureStats {
    pub fn record(&mut self, class: FailureClass, error: &str, at: Timestamp) {
        *self.by_class.entry(class).or_default() += 1;
        self.recent.push(RecentFailure {
            at,
            class,
            error: error.to_string(),
        });
        let excess = self.recent.len().saturating_sub(RECENT_FAILURES);
        self.recent.drain(..excess);
        self.failing_since.get_or_insert(at);
    }

    /// A success ends the failing streak; the totals stay.
    pub fn succeeded(&mut self) {
        self.failing_since = None;
        self.circuit_opens = 0;
    }
}
