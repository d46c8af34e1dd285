//! The dashboard's pages as HTML, from data already read: overview
//! (health and new postings), jobs, postings and attention (the companies
//! page is `companies.rs`).
//!
//! Markup carries the hooks the script uses (`data-*` attributes, element
//! ids); every control has a label, tables have captions and header cells,
//! and changing controls work from the keyboard alone.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

use super::html::{ago, bytes, esc, query_value};
use crate::model::{Id, Job, JobStatus, Timestamp};
use crate::status::{StatusReport, human_secs};
use crate::views::{AttentionView, PostingView};

/// "every 6h" for a rank's interval.
pub fn every(d: Duration) -> String {
    format!("every {}", human_secs(d.as_secs()))
}

/// `inactive`: the users whose ranks do not count (shown to admins only).
pub fn overview(
    report: &StatusReport,
    postings: &[PostingView],
    names: &BTreeMap<Id, String>,
    inactive: Option<&[String]>,
    now: Timestamp,
) -> String {
    let mut out = String::from(
        r#"<section id="health" data-live="health" aria-labelledby="health-h"><h2 id="health-h">Health</h2><dl class="grid">"#,
    );
    let mut item = |k: &str, v: String| {
        let _ = write!(out, "<div><dt>{k}</dt><dd>{v}</dd></div>");
    };
    let state = if !report.running {
        "stopped".to_string()
    } else if report.concurrency.limit == 0 {
        "paused".into()
    } else {
        "running".into()
    };
    item("State", state);
    if let Some(users) = inactive {
        let shown = match users {
            [] => "none".to_string(),
            _ => esc(&users.join(", ")),
        };
        item("Inactive users (ranks not counted)", shown);
    }
    item(
        "Uptime",
        report.uptime_seconds.map_or("—".into(), human_secs),
    );
    let readings = report.resources.as_ref().and_then(|r| r.readings.as_ref());
    item(
        "Temperature",
        readings
            .and_then(|s| s.temperature.as_ref())
            .map_or("no sensor".into(), |t| format!("{:.1} °C", t.celsius)),
    );
    if let Some(fan) = readings.and_then(|s| s.fan) {
        item("Fan", fan.reading());
    }
    item(
        "CPU",
        readings
            .and_then(|s| s.cpu)
            .map_or("—".into(), |c| format!("{:.0} %", c * 100.0)),
    );
    item(
        "Memory available",
        readings.map_or("—".into(), |s| {
            format!("{} of {}", bytes(s.available_memory), bytes(s.total_memory))
        }),
    );
    item("Disk free", bytes(readings.and_then(|s| s.disk_free)));
    item(
        "Jobs at once",
        format!(
            "{} of {} ({})",
            report.concurrency.limit, report.concurrency.max, report.concurrency.mode
        ),
    );
    if let Some(r) = &report.resources {
        item(
            "Browser tabs",
            format!("{} of {}", r.tabs_open, r.limits.tabs),
        );
        if let Some(change) = &r.last_change {
            item("Last limit change", esc(&change.reason));
        }
    }
    let q = &report.queue;
    item(
        "Queue",
        format!(
            "{} waiting, {} running, {} failed",
            q.pending, q.in_progress, q.failed
        ),
    );
    if let Some(d) = &report.drain {
        item(
            "Queue drains in",
            format!(
                "about {} ({} jobs, {} at once)",
                crate::status::human_secs(d.seconds),
                d.jobs,
                d.workers
            ),
        );
    }
    item(
        "Companies",
        format!(
            "{} tracked of {}, {} need attention",
            report.companies.tracked, report.companies.total, report.companies.needing_attention
        ),
    );
    item(
        "Analysis",
        format!(
            "{} waiting, {} notifications pending",
            report.analysis.backlog, report.analysis.outbox_pending
        ),
    );
    out.push_str("</dl>");
    let alerts = report
        .resources
        .as_ref()
        .map(|r| r.alerts.as_slice())
        .unwrap_or_default();
    if !alerts.is_empty() {
        out.push_str(r#"<ul class="alerts" aria-label="Alerts">"#);
        for a in alerts {
            let _ = write!(
                out,
                "<li><strong>{}</strong>: {}</li>",
                esc(a.kind),
                esc(&a.message)
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>");
    out.push_str(&postings_section(
        postings,
        names,
        "Newest postings",
        true,
        now,
    ));
    out
}

/// The postings table; `live` lets the script redraw it when new postings
/// arrive.
pub fn postings_section(
    postings: &[PostingView],
    names: &BTreeMap<Id, String>,
    caption: &str,
    live: bool,
    now: Timestamp,
) -> String {
    let live = if live { r#" data-live="postings""# } else { "" };
    let mut out = format!(
        r#"<section id="postings"{live} aria-labelledby="postings-h"><h2 id="postings-h">{caption}</h2>"#
    );
    if postings.is_empty() {
        out.push_str(r#"<p class="muted">No new postings yet. Postings the first scrape of a company finds count as already known.</p></section>"#);
        return out;
    }
    out.push_str(&format!(
        r#"<div class="scroll"><table><caption class="sr">{caption}</caption><thead><tr><th scope="col">Posting</th><th scope="col">Company</th><th scope="col">Found</th><th scope="col">Match</th></tr></thead><tbody>"#,
    ));
    for p in postings {
        let company = names.get(&p.company_id).map_or("", String::as_str);
        let found = Timestamp::parse_rfc3339(&p.first_seen);
        let score = match p.matches.first() {
            None => r#"<span class="muted">not analysed yet</span>"#.to_string(),
            Some(m) => format!(
                r#"<span class="score s{band}"><span class="sr">score </span>{s}<span class="sr"> of 100</span></span> <span class="reason">{reason}</span>"#,
                band = m.score / 34,
                s = m.score,
                reason = esc(&m.reason)
            ),
        };
        let place = p
            .location
            .as_deref()
            .map(|l| format!(r#"<br><small>{}</small>"#, esc(l)))
            .unwrap_or_default();
        let _ = write!(
            out,
            r#"<tr data-posting="{id}"><td><a href="{url}" rel="noopener noreferrer">{title}</a>{place}</td><td>{company}</td><td>{found}</td><td>{score}</td></tr>"#,
            id = p.id,
            url = esc(&p.url),
            title = esc(&p.title),
            company = esc(company),
            found = found.map_or_else(|| esc(&p.first_seen), |t| ago(Some(t), now)),
        );
    }
    out.push_str("</tbody></table></div></section>");
    out
}

/// The jobs page's filters, as given.
pub struct JobsQuery {
    pub page: usize,
    pub status: Option<JobStatus>,
    pub company: String,
}

impl JobsQuery {
    fn link(&self, page: usize) -> String {
        let mut q = format!("/jobs?page={page}");
        if let Some(s) = self.status {
            let _ = write!(q, "&status={}", s.as_str());
        }
        if !self.company.is_empty() {
            let _ = write!(q, "&company={}", query_value(&self.company));
        }
        q
    }
}

pub struct JobsPage<'a> {
    pub jobs: &'a [Job],
    pub total: u64,
    pub pages: u64,
    pub query: &'a JobsQuery,
    pub names: &'a BTreeMap<Id, String>,
    /// Who may retry or cancel: the user who started a job, or an admin.
    pub user: Id,
    pub admin: bool,
    pub now: Timestamp,
}

pub fn jobs(p: &JobsPage) -> String {
    let q = p.query;
    let mut options = String::from(r#"<option value="">any</option>"#);
    for s in [
        JobStatus::Pending,
        JobStatus::InProgress,
        JobStatus::Completed,
        JobStatus::Failed,
        JobStatus::Cancelled,
    ] {
        let sel = if q.status == Some(s) { " selected" } else { "" };
        let _ = write!(options, r#"<option{sel}>{}</option>"#, s.as_str());
    }
    let mut out = format!(
        r#"<form class="filters" method="get" action="/jobs" role="search"><label for="status">Status</label> <select id="status" name="status">{options}</select> <label for="company">Company</label> <input id="company" name="company" type="search" value="{company}" maxlength="100"> <button type="submit">Filter</button></form>"#,
        company = esc(&q.company)
    );
    out.push_str(r#"<section id="history" data-live="history" aria-labelledby="history-h"><h2 id="history-h">History</h2>"#);
    if p.jobs.is_empty() {
        out.push_str(r#"<p class="muted">No jobs match.</p></section>"#);
        return out;
    }
    out.push_str(r#"<div class="scroll"><table><caption class="sr">Jobs</caption><thead><tr><th scope="col">Job</th><th scope="col">Company</th><th scope="col">Status</th><th scope="col">Source</th><th scope="col">Progress</th><th scope="col">New links</th><th scope="col">Created</th><th scope="col">Error</th><th scope="col">Action</th></tr></thead><tbody>"#);
    for j in p.jobs {
        let name = p.names.get(&j.company_id).map_or("", String::as_str);
        let mine = p.admin || j.requested_by == Some(p.user);
        let action = match j.status {
            JobStatus::Failed | JobStatus::Cancelled if mine => format!(
                r#"<button type="button" class="retry" data-job="{}">Retry<span class="sr"> job {}</span></button>"#,
                j.id, j.id
            ),
            JobStatus::Pending | JobStatus::InProgress if mine => format!(
                r#"<button type="button" class="cancel" data-job="{}">Cancel<span class="sr"> job {}</span></button>"#,
                j.id, j.id
            ),
            _ => String::new(),
        };
        let _ = write!(
            out,
            r#"<tr data-row-job="{id}" data-status="{status}"><td>{id}</td><td>{name}</td><td>{status_text}</td><td>{source}</td><td><progress max="100" value="{p}" aria-label="job {id} progress">{p}%</progress></td><td>{new}</td><td>{created}</td><td class="error">{error}</td><td>{action}</td></tr>"#,
            id = j.id,
            name = esc(name),
            status = j.status.as_str(),
            status_text = j.status.as_str().replace('_', " "),
            source = j.source.as_str().replace('_', " "),
            p = j.progress,
            new = j.counters.new_links,
            created = ago(Some(j.created), p.now),
            error = esc(j.error.as_deref().unwrap_or("")),
        );
    }
    out.push_str("</tbody></table></div>");
    let _ = write!(
        out,
        r#"<nav aria-label="Pages" class="pager"><span>Page {} of {} ({} jobs)</span> "#,
        q.page,
        p.pages.max(1),
        p.total
    );
    if q.page > 1 {
        let _ = write!(
            out,
            r#"<a href="{}" rel="prev">Newer</a> "#,
            esc(&q.link(q.page - 1))
        );
    }
    if (q.page as u64) < p.pages {
        let _ = write!(
            out,
            r#"<a href="{}" rel="next">Older</a>"#,
            esc(&q.link(q.page + 1))
        );
    }
    out.push_str("</nav></section>");
    out
}

/// A company that needs attention, with its last error.
pub struct AttentionRow {
    pub item: AttentionView,
    pub last_error: Option<String>,
    pub failures: u32,
}

pub fn attention(rows: &[AttentionRow], admin: bool, now: Timestamp) -> String {
    let mut out = String::from(
        r#"<section id="attention" data-live="attention" aria-labelledby="attention-h"><h2 id="attention-h">Companies needing attention</h2>"#,
    );
    if rows.is_empty() {
        out.push_str(
            r#"<p class="muted">None: every tracked company scrapes cleanly.</p></section>"#,
        );
        return out;
    }
    if !admin {
        out.push_str(r#"<p class="muted">An admin can resume a quarantined company once its site is fixed.</p>"#);
    }
    out.push_str(r#"<div class="scroll"><table><caption class="sr">Companies needing attention</caption><thead><tr><th scope="col">Company</th><th scope="col">Why</th><th scope="col">Since</th><th scope="col">Failures in a row</th><th scope="col">Last error</th><th scope="col">Action</th></tr></thead><tbody>"#);
    for r in rows {
        let since = Timestamp::parse_rfc3339(&r.item.since);
        let action = if admin {
            format!(
                r#"<button type="button" class="resume" data-company="{}">Resume<span class="sr"> {}</span></button>"#,
                r.item.company_id,
                esc(&r.item.company_name)
            )
        } else {
            String::new()
        };
        let _ = write!(
            out,
            r#"<tr data-company="{id}"><th scope="row">{name}</th><td>{reason}</td><td>{since}</td><td>{fails}</td><td class="error">{error}</td><td>{action}</td></tr>"#,
            id = r.item.company_id,
            name = esc(&r.item.company_name),
            reason = esc(&r.item.reason),
            since = since.map_or_else(|| esc(&r.item.since), |t| ago(Some(t), now)),
            fails = r.failures,
            error = esc(r.last_error.as_deref().unwrap_or("")),
        );
    }
    out.push_str("</tbody></table></div></section>");
    out
}
