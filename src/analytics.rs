//! Job analytics reports: success and failure rates, durations, errors by
//! class, new postings and queue depth over a time range, read from the
//! buckets `store::stats` keeps.
//!
//! A report picks the finest resolution that still holds the whole range
//! ([`Resolution::retention`]) in at most [`MAX_POINTS`] points, so a chart
//! of a week shows hours and a chart of a year shows days. The series has a
//! point for every bucket of the range, empty ones included, so charts need
//! not know about gaps.

use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::model::{Company, Id, Resolution, StatBucket, Timestamp};
use crate::store::{self, View, stats};

/// The most points a series has.
pub const MAX_POINTS: u64 = 720;

/// The longest range a report covers: what the day buckets keep.
pub fn longest_range() -> Duration {
    Resolution::Day.retention()
}

/// A duration for people: milliseconds below a second, else seconds.
pub fn human_ms(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

/// A share (0-1) for people: "93.5 %".
pub fn human_rate(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

/// A summary's `errors` (class → count), most frequent first, then by
/// name.
pub fn errors_by_count(errors: &Map<String, Value>) -> Vec<(&str, u64)> {
    let mut list: Vec<(&str, u64)> = errors
        .iter()
        .map(|(k, n)| (k.as_str(), n.as_u64().unwrap_or(0)))
        .collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    list
}

/// What a report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub from: Timestamp,
    pub to: Timestamp,
}

/// The resolution a report over `range` uses when it is made at `now`.
pub fn resolution_for(range: Range, now: Timestamp) -> Resolution {
    let span = range.to.since(range.from).as_millis() as u64;
    for res in Resolution::ALL {
        let width = res.width().as_millis() as u64;
        let reaches = now.since(range.from) <= res.retention();
        if reaches && span.div_ceil(width) <= MAX_POINTS {
            return res;
        }
    }
    Resolution::Day
}

/// A report, ready to serialise (the API's and the CLI's `--json` shape).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub from: String,
    pub to: String,
    pub resolution: &'static str,
    pub bucket_seconds: u64,
    /// The company the report is about; `None` for all companies.
    pub company: Option<Value>,
    pub totals: Summary,
    pub series: Vec<Point>,
    /// Per company over the range, most failures first (all-company
    /// reports only).
    pub by_company: Vec<CompanySummary>,
}

/// Counts and rates of one bucket or of a whole range.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Jobs that reached a final status.
    pub jobs: u32,
    pub completed: u32,
    pub failed: u32,
    pub cancelled: u32,
    /// Failed attempts tried again.
    pub retried: u32,
    /// completed / (completed + failed); none without such jobs.
    pub success_rate: Option<f64>,
    pub failure_rate: Option<f64>,
    pub avg_duration_ms: Option<u64>,
    pub p95_duration_ms: Option<u64>,
    pub new_postings: u32,
    /// Failed jobs and retried attempts by failure class.
    pub errors: Map<String, Value>,
    /// Deepest queue seen (all-company reports only).
    pub queue_depth_max: u32,
}

impl From<&StatBucket> for Summary {
    fn from(b: &StatBucket) -> Self {
        let ms = |d: Option<Duration>| d.map(|d| d.as_millis() as u64);
        let success_rate = b.success_rate();
        Summary {
            jobs: b.finished(),
            completed: b.completed,
            failed: b.failed,
            cancelled: b.cancelled,
            retried: b.retried,
            success_rate,
            failure_rate: success_rate.map(|s| 1.0 - s),
            avg_duration_ms: ms(b.mean_duration()),
            p95_duration_ms: ms(b.duration_quantile(0.95)),
            new_postings: b.new_postings,
            errors: b
                .errors_by_class()
                .map(|(c, n)| (c.as_str().to_string(), json!(n)))
                .collect(),
            queue_depth_max: b.queue_max,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Point {
    pub start: String,
    #[serde(flatten)]
    pub summary: Summary,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CompanySummary {
    pub id: Id,
    pub name: String,
    #[serde(flatten)]
    pub summary: Summary,
}

/// The sum of `scope`'s buckets over `range` at `res`.
fn sum_of(v: &impl View, res: Resolution, scope: Id, range: Range) -> store::Result<StatBucket> {
    let mut sum = StatBucket::default();
    for (_, b) in stats::buckets(v, res, scope, range.from.key(), range.to.key())? {
        sum.merge(&b);
    }
    Ok(sum)
}

/// Every bucket of `scope` over `range` at `res`, empty ones included, and
/// their sum.
fn series(
    v: &impl View,
    res: Resolution,
    scope: Id,
    range: Range,
) -> store::Result<(Vec<(u64, StatBucket)>, StatBucket)> {
    let width = res.width().as_millis() as u64;
    let (from, to) = (res.start_of(range.from.key()), range.to.key());
    let mut found = stats::buckets(v, res, scope, from, to)?
        .into_iter()
        .peekable();
    let mut out = Vec::new();
    let mut total = StatBucket::default();
    let mut start = from;
    while start < to {
        let bucket = match found.peek() {
            Some((s, _)) if *s == start => found.next().map(|e| e.1).unwrap_or_default(),
            _ => StatBucket::default(),
        };
        total.merge(&bucket);
        out.push((start, bucket));
        start += width;
    }
    Ok((out, total))
}

/// The report over `range` for `company` (`None`: all companies).
pub fn report(
    v: &impl View,
    range: Range,
    company: Option<&Company>,
    now: Timestamp,
) -> store::Result<Report> {
    let res = resolution_for(range, now);
    let scope = company.map_or(stats::ALL, |c| c.id);
    let (points, total) = series(v, res, scope, range)?;
    let mut by_company = Vec::new();
    if company.is_none() {
        for c in store::list_companies(v)? {
            let sum = sum_of(v, res, c.id, range)?;
            if sum.finished() + sum.retried > 0 {
                by_company.push(CompanySummary {
                    id: c.id,
                    name: c.name.clone(),
                    summary: Summary::from(&sum),
                });
            }
        }
        by_company.sort_by(|a, b| {
            (b.summary.failed + b.summary.retried)
                .cmp(&(a.summary.failed + a.summary.retried))
                .then(b.summary.jobs.cmp(&a.summary.jobs))
        });
    }
    Ok(Report {
        from: range.from.to_rfc3339(),
        to: range.to.to_rfc3339(),
        resolution: res.as_str(),
        bucket_seconds: res.width().as_secs(),
        company: company.map(|c| json!({"id": c.id, "name": c.name})),
        totals: Summary::from(&total),
        series: points
            .iter()
            .map(|(start, b)| Point {
                start: Timestamp::from_millis(*start as i64).to_rfc3339(),
                summary: Summary::from(b),
            })
            .collect(),
        by_company,
    })
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod choice {
    use super::*;

    fn at(h: i64) -> Timestamp {
        Timestamp::from_millis(1_800_000_000_000 + h * 3_600_000)
    }

    #[test]
    fn resolution_follows_span_and_reach() {
        let now = at(0);
        let r = |from: i64| Range {
            from: at(from),
            to: now,
        };
        assert_eq!(resolution_for(r(-6), now), Resolution::Minute);
        assert_eq!(resolution_for(r(-24), now), Resolution::Hour);
        assert_eq!(resolution_for(r(-24 * 30), now), Resolution::Hour);
        assert_eq!(resolution_for(r(-24 * 90), now), Resolution::Day);
        // Two hours a week ago: minutes are gone by then, hours remain.
        let old = Range {
            from: at(-24 * 7),
            to: at(-24 * 7 + 2),
        };
        assert_eq!(resolution_for(old, now), Resolution::Hour);
    }
}
