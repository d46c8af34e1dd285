//! The job analytics page (`/stats`, admins): totals, charts drawn here as
//! inline SVG (no script, nothing from another host), errors by class and
//! the companies that fail most. The range and company are query
//! parameters, so a chart can be bookmarked or linked.

use std::fmt::Write;

use axum::extract::{RawQuery, State};

use super::html::{esc, query_value};
use super::{PageResult, Session, common, failed, framed, param};
use crate::analytics::{self, Point, Report, Summary};
use crate::http::{AppState, Caller};
use crate::model::Role;
use crate::store;

/// The ranges the page offers: query value, label, span back from now.
const RANGES: &[(&str, &str, u64)] = &[
    ("6h", "6 hours", 6 * 3600),
    ("24h", "24 hours", 86_400),
    ("7d", "7 days", 7 * 86_400),
    ("30d", "30 days", 30 * 86_400),
    ("365d", "1 year", 365 * 86_400),
];

/// Chart drawing size in SVG units (it scales to the page's width).
const W: f64 = 720.0;
const H: f64 = 120.0;

pub async fn page(
    State(state): State<AppState>,
    Session(user): Session,
    RawQuery(raw): RawQuery,
) -> PageResult {
    // An unknown range (a stale or edited link) shows the default day.
    let (range_key, span) = param(&raw, "range")
        .and_then(|r| RANGES.iter().find(|x| x.0 == r))
        .map_or(("24h", 86_400), |x| (x.0, x.2));
    let wanted = param(&raw, "company").filter(|c| !c.is_empty());
    let caller = Caller(user.clone());
    let admin = user.role == Role::Admin;
    let c = state.control.clone();
    let now = c.clock.now();
    let range = analytics::Range {
        from: now.minus(std::time::Duration::from_secs(span)),
        to: now,
    };
    let (report, common) = c
        .store
        .clone()
        .run(move |s| {
            let vis = super::visible(s, &caller)?;
            s.read(|rx| {
                let report = match admin {
                    false => None,
                    true => {
                        // An unknown company (a stale link) shows all.
                        let one = wanted
                            .as_deref()
                            .and_then(|w| store::company_by_ref(rx, w).ok());
                        Some(analytics::report(rx, range, one.as_ref(), now)?)
                    }
                };
                Ok((report, common(rx, &vis)?))
            })
        })
        .await
        .map_err(failed)?;
    let main = match report {
        None => "<p>Job analytics cover every company, so only an admin can see them.</p>".into(),
        Some(r) => body(&r, range_key, &common.companies),
    };
    Ok(framed(&user, "/stats", "Stats", &common, &main))
}

fn rate(r: Option<f64>) -> String {
    r.map_or("–".into(), analytics::human_rate)
}

fn secs(ms: Option<u64>) -> String {
    ms.map_or("–".into(), analytics::human_ms)
}

fn body(r: &Report, range_key: &str, companies: &[crate::model::Company]) -> String {
    let mut out = String::new();
    let chosen = r.company.as_ref().and_then(|c| c["id"].as_u64());
    let _ = write!(
        out,
        r#"<form class="filters" method="get" action="/stats"><label for="range">Range</label> <select id="range" name="range">"#
    );
    for (key, label, _) in RANGES {
        let sel = if *key == range_key { " selected" } else { "" };
        let _ = write!(out, r#"<option value="{key}"{sel}>{label}</option>"#);
    }
    let _ = write!(
        out,
        r#"</select> <label for="company">Company</label> <select id="company" name="company"><option value="">All companies</option>"#
    );
    for c in companies {
        let sel = if Some(c.id) == chosen {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            out,
            r#"<option value="{}"{sel}>{}</option>"#,
            c.id,
            esc(&c.name)
        );
    }
    let _ = write!(
        out,
        r#"</select> <button type="submit">Show</button></form>"#
    );
    let t = &r.totals;
    let scope = r
        .company
        .as_ref()
        .and_then(|c| c["name"].as_str())
        .map_or("all companies".to_string(), esc);
    let _ = write!(
        out,
        r#"<p class="muted" id="stats-scope">{scope}, per {}, {} to {}</p><dl class="grid" id="stats-totals">"#,
        r.resolution,
        esc(&r.from),
        esc(&r.to)
    );
    let tiles = [
        ("Jobs finished", t.jobs.to_string()),
        ("Success rate", rate(t.success_rate)),
        ("Failed", t.failed.to_string()),
        ("Retried attempts", t.retried.to_string()),
        ("Average duration", secs(t.avg_duration_ms)),
        ("p95 duration", secs(t.p95_duration_ms)),
        ("New postings", t.new_postings.to_string()),
        ("Deepest queue", t.queue_depth_max.to_string()),
    ];
    for (k, v) in tiles {
        let _ = write!(out, "<div><dt>{k}</dt><dd>{v}</dd></div>");
    }
    out.push_str("</dl>");
    out.push_str(&bars(
        "chart-jobs",
        "Jobs completed and failed",
        &r.series,
        &[
            ("completed", "bar-ok", |s: &Summary| s.completed as f64),
            ("failed", "bar-bad", |s: &Summary| s.failed as f64),
        ],
    ));
    out.push_str(&bars(
        "chart-postings",
        "New postings",
        &r.series,
        &[("new postings", "bar-new", |s: &Summary| {
            s.new_postings as f64
        })],
    ));
    out.push_str(&line(
        "chart-duration",
        "p95 job duration (s)",
        &r.series,
        |s| s.p95_duration_ms.map(|ms| ms as f64 / 1000.0),
    ));
    if r.company.is_none() {
        out.push_str(&line("chart-queue", "Deepest queue", &r.series, |s| {
            Some(s.queue_depth_max as f64)
        }));
    }
    out.push_str(&tables(r, range_key));
    out
}

/// One stacked part of a bar chart: its name, CSS class and value.
type Part<'a> = (&'a str, &'a str, fn(&Summary) -> f64);

/// A bar per point, its parts stacked; each bar says its numbers in a
/// `<title>` (a tooltip, and what a screen reader reads).
fn bars(id: &str, title: &str, points: &[Point], parts: &[Part<'_>]) -> String {
    let totals: Vec<f64> = points
        .iter()
        .map(|p| parts.iter().map(|(_, _, f)| f(&p.summary)).sum())
        .collect();
    let top = totals.iter().copied().fold(0.0, f64::max);
    let sum: f64 = totals.iter().sum();
    let n = points.len().max(1) as f64;
    let step = W / n;
    let mut svg = String::new();
    for (i, p) in points.iter().enumerate() {
        let mut y = H;
        let mut label = Vec::new();
        for (name, class, f) in parts {
            let v = f(&p.summary);
            label.push(format!("{v} {name}"));
            if v <= 0.0 || top <= 0.0 {
                continue;
            }
            let h = v / top * (H - 4.0);
            y -= h;
            let _ = write!(
                svg,
                r#"<rect class="{class}" x="{:.2}" y="{y:.2}" width="{:.2}" height="{h:.2}"><title>{}: {}</title></rect>"#,
                i as f64 * step,
                (step * 0.85).max(0.5),
                esc(&p.start),
                label.join(", ")
            );
        }
    }
    let legend: Vec<String> = parts
        .iter()
        .map(|(name, class, _)| format!(r#"<span class="key {class}">{name}</span>"#))
        .collect();
    chart(
        id,
        title,
        &format!("{title}: {sum} in all, at most {top} in one bucket"),
        &svg,
        &legend.join(" "),
    )
}

/// A line through the points that have a value.
fn line(
    id: &str,
    title: &str,
    points: &[Point],
    value: impl Fn(&Summary) -> Option<f64>,
) -> String {
    let values: Vec<Option<f64>> = points.iter().map(|p| value(&p.summary)).collect();
    let top = values.iter().flatten().copied().fold(0.0, f64::max);
    let n = points.len().max(1) as f64;
    let step = W / n;
    let mut coords = Vec::new();
    let mut dots = String::new();
    for (i, (v, p)) in values.iter().zip(points).enumerate() {
        let Some(v) = v else { continue };
        let x = i as f64 * step + step / 2.0;
        let y = if top > 0.0 {
            H - 2.0 - v / top * (H - 6.0)
        } else {
            H - 2.0
        };
        coords.push(format!("{x:.2},{y:.2}"));
        let _ = write!(
            dots,
            r#"<circle class="dot" cx="{x:.2}" cy="{y:.2}" r="2"><title>{}: {v:.1}</title></circle>"#,
            esc(&p.start)
        );
    }
    let svg = format!(
        r#"<polyline class="line" points="{}"/>{dots}"#,
        coords.join(" ")
    );
    let summary = if coords.is_empty() {
        format!("{title}: no data")
    } else {
        format!("{title}: at most {top:.1}")
    };
    chart(id, title, &summary, &svg, "")
}

fn chart(id: &str, title: &str, summary: &str, svg: &str, legend: &str) -> String {
    format!(
        r#"<figure class="chart" id="{id}"><figcaption>{title} {legend}</figcaption><svg viewBox="0 0 {W} {H}" preserveAspectRatio="none" role="img" aria-label="{}"><line class="axis" x1="0" y1="{H}" x2="{W}" y2="{H}"/>{svg}</svg></figure>"#,
        esc(summary)
    )
}

fn tables(r: &Report, range_key: &str) -> String {
    let mut out = String::new();
    let errors = analytics::errors_by_count(&r.totals.errors);
    out.push_str(r#"<div class="scroll"><table id="stats-errors"><caption>Errors by class (failed jobs and retried attempts)</caption><thead><tr><th scope="col">Class</th><th scope="col">Count</th></tr></thead><tbody>"#);
    if errors.is_empty() {
        out.push_str(r#"<tr><td colspan="2" class="muted">No errors in this range.</td></tr>"#);
    }
    for (class, n) in errors {
        let _ = write!(
            out,
            r#"<tr><th scope="row">{}</th><td>{n}</td></tr>"#,
            esc(class)
        );
    }
    out.push_str("</tbody></table></div>");
    if r.company.is_none() && !r.by_company.is_empty() {
        out.push_str(r#"<div class="scroll"><table id="stats-companies"><caption>Companies, most failures first</caption><thead><tr><th scope="col">Company</th><th scope="col">Jobs</th><th scope="col">Failed</th><th scope="col">Retried</th><th scope="col">Success</th><th scope="col">Average</th><th scope="col">p95</th></tr></thead><tbody>"#);
        for c in r.by_company.iter().take(50) {
            let s = &c.summary;
            let _ = write!(
                out,
                r#"<tr><th scope="row"><a href="/stats?range={}&amp;company={}">{}</a></th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
                query_value(range_key),
                c.id,
                esc(&c.name),
                s.jobs,
                s.failed,
                s.retried,
                rate(s.success_rate),
                secs(s.avg_duration_ms),
                secs(s.p95_duration_ms)
            );
        }
        out.push_str("</tbody></table></div>");
    }
    out
}
