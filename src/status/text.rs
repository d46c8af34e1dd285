//! The human view of a status report: short lines an operator reads over SSH.

use std::fmt::Write;

use super::StatusReport;

pub fn render_text(r: &StatusReport) -> String {
    let mut s = String::new();
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
    let _ = writeln!(s, "database:  {}", r.database);
    let q = &r.queue;
    let _ = writeln!(
        s,
        "queue:     {} pending, {} running, {} completed, {} failed, {} cancelled",
        q.pending, q.in_progress, q.completed, q.failed, q.cancelled
    );
    if r.running {
        let _ = writeln!(
            s,
            "workers:   {} ({})",
            r.concurrency.limit, r.concurrency.mode
        );
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

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn human_secs(secs: u64) -> String {
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86400),
    }
}
