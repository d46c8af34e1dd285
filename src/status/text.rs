//! The human view of a status report: short lines an operator reads over SSH.

use std::fmt::Write;

use super::StatusReport;
use crate::resources::shared::ResourceView;

/// The report's verdict for an operator at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Ok,
    /// Something needs a look: alerts, companies needing attention, failed
    /// jobs, notifications given up.
    Attention,
    Stopped,
}

impl Health {
    pub fn of(r: &StatusReport) -> Health {
        let alerts = r.resources.as_ref().is_some_and(|v| !v.alerts.is_empty());
        if !r.running {
            Health::Stopped
        } else if alerts || r.companies.needing_attention > 0 || r.analysis.outbox_dead > 0 {
            Health::Attention
        } else {
            Health::Ok
        }
    }
}

pub fn render_text(r: &StatusReport) -> String {
    let mut s = String::new();
    let alerts = r.resources.as_ref().map_or(0, |v| v.alerts.len());
    let health = match Health::of(r) {
        Health::Ok => "health:    OK".to_string(),
        Health::Stopped => {
            "health:    STOPPED (start it: systemctl start scoutly, or scoutly run)".to_string()
        }
        Health::Attention => format!(
            "health:    ATTENTION ({alerts} alerts, {} companies need attention, {} notifications given up)",
            r.companies.needing_attention, r.analysis.outbox_dead
        ),
    };
    let state = if r.running {
        format!(
            "running (PID {}, up {}, listening on {})",
            r.pid.unwrap_or(0),
            human_secs(r.uptime_seconds.unwrap_or(0)),
            r.listen.as_deref().unwrap_or("-")
        )
    } else {
        "not running".to_string()
    };
    let _ = writeln!(s, "Scoutly {}: {state}", r.version);
    let _ = writeln!(s, "{health}");
    let _ = writeln!(s, "database:  {}", r.database);
    let q = &r.queue;
    let _ = writeln!(
        s,
        "queue:     {} pending, {} running, {} completed, {} failed, {} cancelled",
        q.pending, q.in_progress, q.completed, q.failed, q.cancelled
    );
    if let Some(d) = &r.drain {
        let _ = writeln!(
            s,
            "drains:    in about {} ({} jobs on {} workers, from their learnt durations)",
            human_secs(d.seconds),
            d.jobs,
            d.workers
        );
    }
    match &r.resources {
        Some(v) => resources(&mut s, v),
        None if r.running => {
            let _ = writeln!(
                s,
                "workers:   {} ({})",
                r.concurrency.limit, r.concurrency.mode
            );
        }
        None => {}
    }
    let _ = writeln!(
        s,
        "scheduler: last pass {}, next {}",
        r.scheduler.last_pass.as_deref().unwrap_or("never"),
        r.scheduler.next_pass.as_deref().unwrap_or("-")
    );
    if let Some(c) = &r.scheduler.next_cron {
        let _ = writeln!(s, "cron:      next {} ({:?} in {})", c.at, c.expr, c.tz);
    }
    let c = &r.companies;
    let _ = writeln!(
        s,
        "companies: {} ({} tracked, {} need attention)",
        c.total, c.tracked, c.needing_attention
    );
    let _ = writeln!(
        s,
        "postings:  {} in total, {} new in the last 24 h",
        r.postings.total, r.postings.new_last_24h
    );
    let a = &r.analysis;
    let _ = writeln!(
        s,
        "analysis:  {}; {} waiting; notifications: {} to send, {} given up",
        a.analyser.as_deref().unwrap_or("not running"),
        a.backlog,
        a.outbox_pending,
        a.outbox_dead
    );
    if let Some(b) = &a.budget {
        let paused = b
            .paused_until
            .as_deref()
            .map(|t| format!("; paused by the provider until {t}"))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "AI budget: {}/{} requests today, {}/{} this minute, {}/{} tokens this minute{paused}",
            b.day_requests, b.rpd, b.minute_requests, b.rpm, b.minute_tokens, b.tpm
        );
    }
    if !r.attention.is_empty() {
        let _ = writeln!(s, "needing attention:");
        for a in &r.attention {
            let _ = writeln!(
                s,
                "  ATTENTION {}: {} (since {})",
                truncate(&a.company_name, 24),
                truncate(&a.reason, 100),
                a.since
            );
        }
    }
    if !r.recent_errors.is_empty() {
        let _ = writeln!(s, "last errors:");
        for e in &r.recent_errors {
            let _ = writeln!(
                s,
                "  {}  {}  ({} in a row): {}",
                e.at,
                truncate(&e.company_name, 24),
                e.failures_in_a_row,
                truncate(&e.error, 100)
            );
        }
    }
    if !r.active_jobs.is_empty() {
        let _ = writeln!(s, "active jobs:");
        for a in &r.active_jobs {
            let _ = writeln!(
                s,
                "  #{:<6} {:<24} {:<11} {:>3}%  attempt {}/{}  {} links",
                a.job.id,
                truncate(&a.company_name, 24),
                a.job.status,
                a.job.progress,
                a.job.attempt,
                a.job.max_attempts,
                a.job.links_found
            );
        }
    }
    if !r.postings.recent.is_empty() {
        let _ = writeln!(s, "new postings:");
        for p in &r.postings.recent {
            let _ = writeln!(
                s,
                "  {}  {}  {}",
                p.first_seen,
                truncate(&p.title, 40),
                p.url
            );
        }
    }
    s
}

/// Limits, why they last changed, the readings and alerts.
fn resources(s: &mut String, v: &ResourceView) {
    let l = &v.limits;
    let paused = if l.paused {
        ", paused: nothing new starts"
    } else {
        ""
    };
    let _ = writeln!(
        s,
        "workers:   {} of {} jobs, {} of {} tabs ({}); {} running, {} tabs open{paused}",
        l.jobs, v.max_jobs, l.tabs, v.max_tabs, v.mode, v.jobs_running, v.tabs_open
    );
    let mut holds = Vec::new();
    for (on, what) in [
        (v.holds.thermal, "thermal hold"),
        (v.holds.on_battery, "on battery"),
        (v.holds.busy, "other processes busy"),
    ] {
        if on {
            holds.push(what);
        }
    }
    if !holds.is_empty() {
        let _ = writeln!(s, "held by:   {}", holds.join(", "));
    }
    if let Some(c) = &v.last_change {
        let _ = writeln!(s, "limits:    {} at {}", c.reason, c.at);
    }
    if let Some(r) = &v.readings {
        let pct = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{:.0} %", x * 100.0));
        let mib = |x: Option<u64>| x.map_or("-".to_string(), |x| format!("{} MiB", x >> 20));
        let _ = writeln!(
            s,
            "cpu:       {} of all cores ({} this appliance, {} others), load {:.2} {:.2} {:.2}",
            pct(r.cpu),
            pct(r.own_cpu),
            pct(r.others_cpu),
            r.load[0],
            r.load[1],
            r.load[2]
        );
        let _ = writeln!(
            s,
            "memory:    {} available of {}, swap used {}; appliance {} + children {} ({} processes)",
            mib(r.available_memory),
            mib(r.total_memory),
            mib(r.swap_used),
            mib(r.own_rss),
            mib(r.children_rss),
            r.children
        );
        let mut temp = match &r.temperature {
            Some(t) => format!("{:.1} °C ({})", t.celsius, t.label),
            None => "no sensor".to_string(),
        };
        if let Some(fan) = &r.fan {
            temp = format!("{temp}, {fan}");
        }
        let power = match r.on_battery {
            Some(true) => "on battery",
            Some(false) => "on mains power",
            None => "power source unknown",
        };
        let _ = writeln!(
            s,
            "machine:   {temp}, disk {} free, {power}, event loop {} late",
            mib(r.disk_free),
            r.loop_lag_ms
                .map_or("-".to_string(), |ms| format!("{ms} ms"))
        );
        if let Some(t) = &r.throttled {
            let _ = writeln!(s, "firmware:  get_throttled {:#x}", t.raw);
        }
    }
    for a in &v.alerts {
        let _ = writeln!(s, "ATTENTION: {} since {}: {}", a.kind, a.since, a.message);
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A duration in one unit, as a person reads it: `45s`, `12m`, `6h`, `3d`.
pub fn human_secs(secs: u64) -> String {
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86400),
    }
}
