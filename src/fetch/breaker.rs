//! Per-host circuit breakers.
//!
//! `breaker.failures` consecutive host failures (timeouts, DNS, connect, TLS,
//! 429, 5xx, bot walls — see [`FailureClass::host_trouble`]) open a host's
//! circuit: requests to it fail at once for a cool-off. When the cool-off is
//! over, one request goes through as a probe while others still fail fast; a
//! good answer closes the circuit, a bad one reopens it for twice as long (up
//! to `breaker.max_cool_off`). A 404 is the page's problem, not the host's, so
//! it neither counts nor trips anything.
//!
//! State lives in memory (tokio's clock, so paused-time tests drive it); what
//! must survive a restart — how often a company's circuit opened — is kept
//! per company in the store by the worker.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::config::BreakerConfig;
use crate::model::FailureClass;

#[derive(Debug)]
pub struct Breakers {
    cfg: BreakerConfig,
    hosts: Mutex<HashMap<String, Circuit>>,
}

#[derive(Debug, Default)]
struct Circuit {
    consecutive: u32,
    open_until: Option<Instant>,
    /// The cool-off used at the last opening.
    cool_off: Duration,
    probing: bool,
}

/// Why a request may not go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Open {
    /// Until the next probe may be sent (zero while a probe is out).
    pub retry_in: Duration,
}

/// The outcome of one request, as the breaker counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    No,
    /// This failure opened the circuit for the given cool-off.
    For(Duration),
}

impl Breakers {
    pub fn new(cfg: &BreakerConfig) -> Self {
        Self {
            cfg: cfg.clone(),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    fn with<T>(&self, host: &str, f: impl FnOnce(&mut Circuit) -> T) -> T {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        f(hosts.entry(host.to_ascii_lowercase()).or_default())
    }

    /// May a request to `host` go out now? Becomes the probe when the
    /// cool-off has just ended.
    pub fn admit(&self, host: &str) -> Result<(), Open> {
        let now = Instant::now();
        self.with(host, |c| match c.open_until {
            None => Ok(()),
            Some(until) if now < until => Err(Open {
                retry_in: until - now,
            }),
            Some(_) if c.probing => Err(Open {
                retry_in: Duration::ZERO,
            }),
            Some(_) => {
                c.probing = true;
                Ok(())
            }
        })
    }

    /// Count a request's outcome: `None` for an answer that says nothing bad
    /// about the host.
    pub fn record(&self, host: &str, failure: Option<FailureClass>) -> Opened {
        let now = Instant::now();
        let cfg = &self.cfg;
        self.with(host, |c| {
            if !failure.is_some_and(FailureClass::host_trouble) {
                *c = Circuit::default();
                return Opened::No;
            }
            c.consecutive += 1;
            let cool_off = if c.probing {
                (c.cool_off * 2).min(cfg.max_cool_off)
            } else if c.open_until.is_none() && c.consecutive >= cfg.failures {
                cfg.cool_off.min(cfg.max_cool_off)
            } else {
                return Opened::No;
            };
            c.probing = false;
            c.cool_off = cool_off;
            c.open_until = Some(now + cool_off);
            Opened::For(cool_off)
        })
    }

    /// Forget a host's failures (the operator resumed its company).
    pub fn reset(&self, host: &str) {
        self.with(host, |c| *c = Circuit::default());
    }

    /// Hosts whose circuit is open now.
    pub fn open_count(&self) -> usize {
        let now = Instant::now();
        let hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        hosts
            .values()
            .filter(|c| c.open_until.is_some_and(|u| u > now) || c.probing)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breakers() -> Breakers {
        Breakers::new(&BreakerConfig {
            failures: 3,
            cool_off: Duration::from_secs(60),
            max_cool_off: Duration::from_secs(200),
        })
    }

    const T: Option<FailureClass> = Some(FailureClass::Timeout);

    #[tokio::test(start_paused = true)]
    async fn opens_after_n_failures_probes_and_doubles_up_to_the_cap() {
        let b = breakers();
        assert_eq!(b.record("h", T), Opened::No);
        assert_eq!(b.record("h", T), Opened::No);
        assert!(b.admit("h").is_ok());
        assert_eq!(b.record("h", T), Opened::For(Duration::from_secs(60)));
        assert_eq!(b.admit("h").unwrap_err().retry_in, Duration::from_secs(60));
        assert!(b.admit("other").is_ok(), "other hosts are not affected");
        assert_eq!(b.open_count(), 1);

        tokio::time::advance(Duration::from_secs(60)).await;
        assert!(b.admit("h").is_ok(), "the probe goes out");
        assert_eq!(
            b.admit("h").unwrap_err().retry_in,
            Duration::ZERO,
            "one probe only"
        );
        assert_eq!(b.record("h", T), Opened::For(Duration::from_secs(120)));
        tokio::time::advance(Duration::from_secs(120)).await;
        assert!(b.admit("h").is_ok());
        assert_eq!(
            b.record("h", T),
            Opened::For(Duration::from_secs(200)),
            "capped"
        );
        tokio::time::advance(Duration::from_secs(200)).await;
        assert!(b.admit("h").is_ok());
        assert_eq!(b.record("h", None), Opened::No, "a good probe closes it");
        assert!(b.admit("h").is_ok());
        assert_eq!(b.open_count(), 0);
        // The count starts again from zero.
        assert_eq!(b.record("h", T), Opened::No);
    }

    #[tokio::test(start_paused = true)]
    async fn page_problems_do_not_count() {
        let b = breakers();
        for _ in 0..2 {
            b.record("h", T);
        }
        b.record("h", Some(FailureClass::Http4xx));
        for _ in 0..2 {
            assert_eq!(b.record("h", T), Opened::No);
        }
        assert!(b.admit("h").is_ok());
    }
}
