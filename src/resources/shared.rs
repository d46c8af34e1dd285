//! What the resource monitor shares with the rest of the appliance: the two
//! gates workers and the browser take permits from, and a view of the last
//! sample, the limits and the open alerts for status and readiness.
//!
//! Alerts are conditions that need a human (overheating, memory or disk
//! running out, under-voltage, and the job rules of `crate::alerts`); each
//! is logged and announced once when it starts and once when it ends
//! ("recovered"), never per sample. They live in memory: after a restart
//! the next sample finds them again. Each source reconciles only the kinds
//! it owns.

use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;

use super::controller::{Holds, Limits};
use super::gate::Gate;
use super::sampler::Sample;
use crate::model::Timestamp;

/// The handle shared by the monitor, workers, browser and status.
#[derive(Debug)]
pub struct Resources {
    pub jobs: Arc<Gate>,
    pub tabs: Arc<Gate>,
    view: Mutex<ResourceView>,
    /// Each alert as it is raised, and again as it ends (its message then
    /// starting "recovered: "), as (kind, message), for the operator's
    /// notifications.
    pub raised: tokio::sync::broadcast::Sender<(String, String)>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceView {
    /// "adaptive", or "fixed" (`resources.adaptive = false`).
    pub mode: &'static str,
    pub limits: Limits,
    pub min_jobs: usize,
    pub max_jobs: usize,
    pub max_tabs: usize,
    /// Jobs running and tabs open at the last sample.
    pub jobs_running: usize,
    pub tabs_open: usize,
    pub holds: Holds,
    pub last_change: Option<LastChange>,
    /// Samples taken since the appliance started.
    pub samples: u64,
    pub readings: Option<Sample>,
    pub alerts: Vec<Alert>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LastChange {
    pub at: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// `overheated`, `memory_low`, `disk_low`, `under_voltage`, `throttled`.
    pub kind: &'static str,
    pub message: String,
    pub since: String,
}

impl Resources {
    pub fn new(view: ResourceView) -> Arc<Resources> {
        let limits = view.limits;
        let r = Arc::new(Resources {
            jobs: Gate::new(0),
            tabs: Gate::new(0),
            view: Mutex::new(view),
            raised: tokio::sync::broadcast::channel(16).0,
        });
        r.apply(limits);
        r
    }

    fn lock(&self) -> MutexGuard<'_, ResourceView> {
        self.view.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn view(&self) -> ResourceView {
        self.lock().clone()
    }

    /// Put new limits in force: the gates follow at once.
    pub fn apply(&self, limits: Limits) {
        let (jobs, tabs) = match limits.paused {
            true => (0, 0),
            false => (limits.jobs, limits.tabs),
        };
        self.jobs.set_limit(jobs);
        self.tabs.set_limit(tabs);
        self.lock().limits = limits;
    }

    pub fn update(&self, f: impl FnOnce(&mut ResourceView)) {
        f(&mut self.lock())
    }

    /// Reconcile the alerts of the kinds in `owned` with those holding now,
    /// log and announce each one raised or ended.
    pub fn reconcile_owned(
        &self,
        now: Timestamp,
        owned: &[&str],
        holding: Vec<(&'static str, String)>,
    ) {
        self.update(|v| {
            let (raised, ended) = reconcile_kinds(&mut v.alerts, now, Some(owned), holding);
            self.announce(raised, ended);
        });
    }

    /// Log and announce alerts raised and ended. Nobody listening (no
    /// operator sink) is fine.
    pub fn announce(&self, raised: Vec<Alert>, ended: Vec<Alert>) {
        for a in raised {
            tracing::warn!(alert = a.kind, "{}", a.message);
            let _ = self.raised.send((a.kind.to_string(), a.message));
        }
        for a in ended {
            tracing::info!(alert = a.kind, "recovered: {}", a.message);
            let _ = self
                .raised
                .send((a.kind.to_string(), format!("recovered: {}", a.message)));
        }
    }

    /// Whether an alert of this kind is open.
    pub fn is_open(&self, kind: &str) -> bool {
        self.lock().alerts.iter().any(|a| a.kind == kind)
    }

    /// Why the appliance should not be sent work, for `/readyz`.
    pub fn overheated(&self) -> Option<String> {
        let v = self.lock();
        v.alerts
            .iter()
            .find(|a| a.kind == "overheated")
            .map(|a| a.message.clone())
    }
}

/// Bring `open` in line with the conditions that hold now; returns the
/// alerts raised and those that ended.
pub fn reconcile(
    open: &mut Vec<Alert>,
    now: Timestamp,
    holding: Vec<(&'static str, String)>,
) -> (Vec<Alert>, Vec<Alert>) {
    reconcile_kinds(open, now, None, holding)
}

/// [`reconcile`] for a source that owns only the kinds in `owned`: open
/// alerts of other kinds are left as they are.
pub fn reconcile_kinds(
    open: &mut Vec<Alert>,
    now: Timestamp,
    owned: Option<&[&str]>,
    holding: Vec<(&'static str, String)>,
) -> (Vec<Alert>, Vec<Alert>) {
    let (kept, ended): (Vec<Alert>, Vec<Alert>) = std::mem::take(open).into_iter().partition(|a| {
        owned.is_some_and(|kinds| !kinds.contains(&a.kind))
            || holding.iter().any(|(k, _)| *k == a.kind)
    });
    *open = kept;
    let mut raised = Vec::new();
    for (kind, message) in holding {
        match open.iter_mut().find(|a| a.kind == kind) {
            // The message follows the reading; the alert is not raised again.
            Some(a) => a.message = message,
            None => {
                let a = Alert {
                    kind,
                    message,
                    since: now.to_rfc3339(),
                };
                raised.push(a.clone());
                open.push(a);
            }
        }
    }
    (raised, ended)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alert_is_raised_once_and_ended_once() {
        let mut open = Vec::new();
        let t = Timestamp::from_millis(1_000);
        let hot = |c: f64| vec![("overheated", format!("{c} °C"))];
        let (raised, ended) = reconcile(&mut open, t, hot(81.0));
        assert_eq!((raised.len(), ended.len()), (1, 0));
        for c in [82.0, 83.0, 81.5] {
            let (raised, ended) = reconcile(&mut open, t, hot(c));
            assert!(raised.is_empty() && ended.is_empty());
        }
        assert_eq!(
            open[0].message, "81.5 °C",
            "the message follows the reading"
        );
        assert_eq!(open[0].since, t.to_rfc3339());
        let (raised, ended) = reconcile(&mut open, t, vec![("disk_low", "1 MiB".into())]);
        assert_eq!(raised[0].kind, "disk_low");
        assert_eq!(ended[0].kind, "overheated");
        assert_eq!(open.len(), 1);
    }
}
