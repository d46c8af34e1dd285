//! The watchdog: `WATCHDOG=1` is sent only after the appliance has shown
//! it is alive, never by a bare timer. Each round checks that the scheduler
//! ticked within three passes (plus a minute), that the worker pool beat
//! within [`POOL_STALE`] (idle workers beat at least every 30 s, busy ones
//! from their job's heartbeat every second, paused ones while they wait),
//! and that a store read answers within [`STORE_PROBE`]. When a check
//! fails, the round sends the reason as `STATUS=` and no `WATCHDOG=1`;
//! after `WatchdogSec=` systemd kills and restarts the service.
//!
//! Rounds run every half `WatchdogSec=`, as systemd advises, or every 30 s
//! without a watchdog (to keep `STATUS=` current).

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::Notifier;
use crate::clock::SharedClock;
use crate::model::Timestamp;
use crate::status::{self, Live, StatusReport};
use crate::store::Store;
use crate::worker::Beat;

/// The worker pool is stuck when it has not beaten for this long.
pub const POOL_STALE: Duration = Duration::from_secs(120);
/// How long a store read may take before the store counts as stuck.
pub const STORE_PROBE: Duration = Duration::from_secs(10);

/// What the watchdog looks at.
pub struct Vitals {
    pub live: Live,
    pub pool: Arc<Beat>,
    pub store: Store,
    pub clock: SharedClock,
}

/// Whether the scheduler and the worker pool are alive at `now`; the error
/// says which is not, and since when.
pub fn judge(
    now: Timestamp,
    started: Timestamp,
    pass_interval: Duration,
    last_tick: Option<Timestamp>,
    pool_beat: Option<Timestamp>,
) -> Result<(), String> {
    let scheduler_stale = pass_interval * 3 + Duration::from_secs(60);
    let age = |t: Option<Timestamp>| now.since(t.unwrap_or(started));
    if age(last_tick) > scheduler_stale {
        return Err(format!(
            "scheduler stalled: no pass for {} s (expected every {} s)",
            age(last_tick).as_secs(),
            pass_interval.as_secs()
        ));
    }
    if age(pool_beat) > POOL_STALE {
        return Err(format!(
            "workers stalled: no sign of life for {} s",
            age(pool_beat).as_secs()
        ));
    }
    Ok(())
}

/// A one-line summary for `STATUS=` (what `systemctl status` shows).
pub fn summary(r: &StatusReport) -> String {
    let mut s = format!(
        "{} running, {} waiting, {} failed; {} companies tracked",
        r.queue.in_progress, r.queue.pending, r.queue.failed, r.companies.tracked
    );
    if r.companies.needing_attention > 0 {
        s.push_str(&format!(
            ", {} need attention",
            r.companies.needing_attention
        ));
    }
    s.push_str(&format!(
        "; {} new postings in 24 h; up to {} jobs at once",
        r.postings.new_last_24h, r.concurrency.limit
    ));
    if let Some(t) = r
        .resources
        .as_ref()
        .and_then(|v| v.readings.as_ref())
        .and_then(|s| s.temperature.as_ref())
    {
        s.push_str(&format!("; {:.0} °C", t.celsius));
    }
    s
}

/// One round: check, then tell the service manager.
async fn round(notifier: &Notifier, v: &Vitals) {
    let now = v.clock.now();
    let verdict = judge(
        now,
        v.live.started,
        v.live.pass_interval,
        v.live.scheduler.last_tick(),
        v.pool.last(),
    );
    let (store, live) = (v.store.clone(), v.live.clone());
    let report = tokio::time::timeout(
        STORE_PROBE,
        store.run(move |s| status::build(s, Some(&live), now)),
    )
    .await;
    let verdict = verdict.and(match report {
        Ok(Ok(report)) => Ok(report),
        Ok(Err(e)) => Err(format!("store unreadable: {e}")),
        Err(_) => Err(format!(
            "store stalled: a read took over {} s",
            STORE_PROBE.as_secs()
        )),
    });
    match verdict {
        Ok(report) => {
            notifier.send(&format!("WATCHDOG=1\nSTATUS={}", summary(&report)));
        }
        Err(reason) => {
            tracing::error!(%reason, "not telling the watchdog the appliance is alive");
            notifier.status(&format!("unhealthy: {reason}"));
        }
    }
}

/// Rounds until `cancel`.
pub async fn run(notifier: Arc<Notifier>, vitals: Vitals, cancel: CancellationToken) {
    let every = notifier
        .watchdog()
        .map_or(Duration::from_secs(30), |w| w / 2)
        .max(Duration::from_millis(100));
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
        round(&notifier, &vitals).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASS: Duration = Duration::from_secs(60);

    fn at(secs: u64) -> Timestamp {
        Timestamp::from_millis(1_800_000_000_000 + secs as i64 * 1000)
    }

    #[test]
    fn alive_while_both_beat() {
        assert_eq!(
            judge(at(1000), at(0), PASS, Some(at(950)), Some(at(999))),
            Ok(())
        );
        // Just started: nothing has beaten yet, and that is fine for a while.
        assert_eq!(judge(at(30), at(0), PASS, None, None), Ok(()));
    }

    #[test]
    fn a_stalled_scheduler_or_pool_withholds_the_ping() {
        let stalled = judge(at(1000), at(0), PASS, Some(at(700)), Some(at(999)));
        assert!(
            stalled
                .unwrap_err()
                .starts_with("scheduler stalled: no pass for 300 s")
        );
        let stuck = judge(at(1000), at(0), PASS, Some(at(990)), Some(at(800)));
        assert!(
            stuck
                .unwrap_err()
                .starts_with("workers stalled: no sign of life for 200 s")
        );
        let never = judge(at(500), at(0), PASS, Some(at(490)), None);
        assert!(never.is_err());
    }
}
