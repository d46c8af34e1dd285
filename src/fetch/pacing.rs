//! Per-host politeness: one request in flight per host, and a randomised
//! courtesy delay between the end of one request and the start of the next.
//!
//! Uses tokio's clock so paused-time tests can drive it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::OwnedMutexGuard;
use tokio::time::Instant;

#[derive(Debug)]
pub struct HostPacer {
    delay: Duration,
    jitter: f64,
    hosts: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<Instant>>>>>,
}

/// Held while a request to a host is in flight; dropping it starts the
/// host's courtesy delay.
#[derive(Debug)]
pub struct HostPermit {
    guard: OwnedMutexGuard<Option<Instant>>,
    delay: Duration,
}

impl Drop for HostPermit {
    fn drop(&mut self) {
        *self.guard = Some(Instant::now() + self.delay);
    }
}

impl HostPacer {
    pub fn new(delay: Duration, jitter: f64) -> Self {
        Self {
            delay,
            jitter: jitter.clamp(0.0, 1.0),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// Wait for the host's turn. Requests to other hosts are not held up.
    pub async fn acquire(&self, host: &str) -> HostPermit {
        let slot = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
            hosts
                .entry(host.to_ascii_lowercase())
                .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(None)))
                .clone()
        };
        let guard = slot.lock_owned().await;
        if let Some(not_before) = *guard {
            tokio::time::sleep_until(not_before).await;
        }
        HostPermit {
            guard,
            delay: self.next_delay(),
        }
    }

    fn next_delay(&self) -> Duration {
        let u: f64 = rand::random();
        self.delay
            .mul_f64(1.0 - self.jitter + 2.0 * self.jitter * u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn one_request_per_host_with_delay_between() {
        let pacer = Arc::new(HostPacer::new(Duration::from_secs(5), 0.5));
        let start = Instant::now();
        let p1 = pacer.acquire("a.example").await;
        // Another host is not held up.
        let other = pacer.acquire("b.example").await;
        assert_eq!(Instant::now(), start);
        drop(other);
        let pacer2 = pacer.clone();
        let second = tokio::spawn(async move {
            let _p = pacer2.acquire("A.example").await;
            Instant::now()
        });
        tokio::time::sleep(Duration::from_secs(1)).await;
        drop(p1);
        let at = second.await.unwrap();
        let waited = at - start;
        assert!(waited >= Duration::from_millis(3500), "{waited:?}");
        assert!(waited <= Duration::from_millis(8500), "{waited:?}");
    }
}
