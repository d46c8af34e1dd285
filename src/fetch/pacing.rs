//! Per-host politeness: one request in flight per host, and a delay between
//! the end of one request and the start of the next.
//!
//! The delay after a request is the largest of:
//! - the courtesy delay × a uniform random factor in `[1 - jitter, 1 + jitter]`,
//!   times the host's slow-down factor;
//! - the host's robots.txt `Crawl-delay`;
//! - the `Retry-After` of a 429 or 503 answer (capped by
//!   `politeness.max_retry_after`).
//!
//! Each 429 or 503 doubles the host's slow-down factor; each other answer
//! divides it by 1.25 (never below 1), so a host that pushed back once is
//! approached carefully for a while. The grown delay is capped by
//! `politeness.max_delay`.
//!
//! Uses tokio's clock so paused-time tests can drive it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::OwnedMutexGuard;
use tokio::time::Instant;

use crate::config::PolitenessConfig;

/// How much each pushback multiplies a host's delay, and each ordinary answer
/// divides it by.
const GROW: f64 = 2.0;
const SHRINK: f64 = 1.25;

#[derive(Debug)]
pub struct HostPacer {
    cfg: PolitenessConfig,
    hosts: Mutex<HashMap<String, Host>>,
}

#[derive(Debug, Clone)]
struct Host {
    slot: Arc<tokio::sync::Mutex<Slot>>,
    /// robots.txt `Crawl-delay` in milliseconds; set without waiting for the
    /// host's turn.
    crawl_delay_ms: Arc<AtomicU64>,
}

#[derive(Debug)]
struct Slot {
    not_before: Option<Instant>,
    /// When the last request ended: `Crawl-delay` counts from here, so a
    /// delay learnt from robots.txt applies to the very next request.
    last_end: Option<Instant>,
    factor: f64,
}

/// How the server answered, for the pacing that follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Anything that is not pushback (including errors).
    Ordinary,
    /// 429 or 503, with the `Retry-After` if the server gave one.
    Pushback(Option<Duration>),
}

/// Held while a request to a host is in flight; dropping it starts the
/// host's delay.
#[derive(Debug)]
pub struct HostPermit {
    guard: OwnedMutexGuard<Slot>,
    courtesy: Duration,
    cfg: PolitenessConfig,
    answer: Answer,
}

impl HostPermit {
    /// Record how the server answered.
    pub fn answered(&mut self, answer: Answer) {
        self.answer = answer;
    }

    /// The host's current slow-down factor (1 when it never pushed back).
    pub fn factor(&self) -> f64 {
        self.guard.factor
    }
}

impl Drop for HostPermit {
    fn drop(&mut self) {
        let slot = &mut *self.guard;
        let mut wait_at_least = Duration::ZERO;
        match self.answer {
            Answer::Ordinary => slot.factor = (slot.factor / SHRINK).max(1.0),
            Answer::Pushback(after) => {
                slot.factor = (slot.factor * GROW).min(1e6);
                wait_at_least = after.unwrap_or_default().min(self.cfg.max_retry_after);
            }
        }
        let grown = self
            .courtesy
            .mul_f64(slot.factor)
            .min(self.cfg.max_delay.max(self.courtesy));
        let now = Instant::now();
        slot.not_before = Some(now + grown.max(wait_at_least));
        slot.last_end = Some(now);
    }
}

impl HostPacer {
    pub fn new(cfg: &PolitenessConfig) -> Self {
        Self {
            cfg: cfg.clone(),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    fn host(&self, host: &str) -> Host {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        hosts
            .entry(host.to_ascii_lowercase())
            .or_insert_with(|| Host {
                slot: Arc::new(tokio::sync::Mutex::new(Slot {
                    not_before: None,
                    last_end: None,
                    factor: 1.0,
                })),
                crawl_delay_ms: Arc::new(AtomicU64::new(0)),
            })
            .clone()
    }

    /// The host's robots.txt `Crawl-delay` (or none); applies from the end of
    /// the request in flight.
    pub fn set_crawl_delay(&self, host: &str, delay: Option<Duration>) {
        let ms = delay.unwrap_or_default().as_millis().min(u64::MAX as u128) as u64;
        self.host(host).crawl_delay_ms.store(ms, Ordering::Relaxed);
    }

    /// Wait for the host's turn. Requests to other hosts are not held up.
    pub async fn acquire(&self, host: &str) -> HostPermit {
        let entry = self.host(host);
        let guard = entry.slot.lock_owned().await;
        let crawl_delay = Duration::from_millis(entry.crawl_delay_ms.load(Ordering::Relaxed));
        let turn = guard
            .not_before
            .max(guard.last_end.map(|end| end + crawl_delay));
        if let Some(at) = turn {
            tokio::time::sleep_until(at).await;
        }
        HostPermit {
            guard,
            courtesy: self.courtesy(),
            cfg: self.cfg.clone(),
            answer: Answer::Ordinary,
        }
    }

    fn courtesy(&self) -> Duration {
        let jitter = self.cfg.jitter.clamp(0.0, 1.0);
        let u: f64 = rand::random();
        self.cfg.delay.mul_f64(1.0 - jitter + 2.0 * jitter * u)
    }
}

pub use crate::outbound::parse_retry_after;

#[cfg(test)]
mod tests;
