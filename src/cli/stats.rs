//! `scoutly stats`: job analytics as text. On a terminal each series is a
//! sparkline; otherwise (a pipe, a file, a script) every non-empty bucket is
//! a line of plain numbers. `--json` prints the API's shape instead.

use std::fmt::Write;

use serde_json::Value;

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// At most this many characters of sparkline.
const SPARK_WIDTH: usize = 60;

/// `values` scaled to bar characters, adjacent values summed (or, for
/// `max`, maxed) until they fit `width`; a zero is a space so quiet stretches
/// read as quiet.
pub fn sparkline(values: &[f64], width: usize, max: bool) -> String {
    if values.is_empty() {
        return String::new();
    }
    let per = values.len().div_ceil(width.max(1));
    let cells: Vec<f64> = values
        .chunks(per)
        .map(|c| {
            if max {
                c.iter().copied().fold(0.0, f64::max)
            } else {
                c.iter().sum()
            }
        })
        .collect();
    let top = cells.iter().copied().fold(0.0, f64::max);
    cells
        .iter()
        .map(|&v| {
            if v <= 0.0 || top <= 0.0 {
                ' '
            } else {
                let i = ((v / top) * (BARS.len() - 1) as f64).round() as usize;
                BARS[i.min(BARS.len() - 1)]
            }
        })
        .collect()
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

fn pct(v: &Value) -> String {
    v.as_f64()
        .map(crate::analytics::human_rate)
        .unwrap_or_else(|| "-".into())
}

fn secs(v: &Value) -> String {
    v.as_u64()
        .map(crate::analytics::human_ms)
        .unwrap_or_else(|| "-".into())
}

fn errors(v: &Value) -> String {
    let Some(map) = v.as_object().filter(|m| !m.is_empty()) else {
        return "none".into();
    };
    crate::analytics::errors_by_count(map)
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The report `v` (the `stats` answer) as text.
pub fn render(v: &Value, sparklines: bool) -> String {
    let mut out = String::new();
    let t = &v["totals"];
    let scope = v["company"]["name"]
        .as_str()
        .map(|n| format!("company {n}"))
        .unwrap_or_else(|| "all companies".into());
    let _ = writeln!(
        out,
        "{scope}, {} to {} (per {})",
        v["from"].as_str().unwrap_or("-"),
        v["to"].as_str().unwrap_or("-"),
        v["resolution"].as_str().unwrap_or("-")
    );
    let _ = writeln!(
        out,
        "jobs:      {} finished: {} completed, {} failed, {} cancelled; {} retried attempts",
        num(&t["jobs"]),
        num(&t["completed"]),
        num(&t["failed"]),
        num(&t["cancelled"]),
        num(&t["retried"])
    );
    let _ = writeln!(
        out,
        "success:   {} (failure {})",
        pct(&t["successRate"]),
        pct(&t["failureRate"])
    );
    let _ = writeln!(
        out,
        "duration:  average {}, p95 {}",
        secs(&t["avgDurationMs"]),
        secs(&t["p95DurationMs"])
    );
    let _ = writeln!(out, "postings:  {} new", num(&t["newPostings"]));
    let _ = writeln!(out, "errors:    {}", errors(&t["errors"]));
    if v["company"].is_null() {
        let _ = writeln!(out, "queue:     at most {} jobs", num(&t["queueDepthMax"]));
    }
    let series = v["series"].as_array().cloned().unwrap_or_default();
    if sparklines {
        let col = |key: &str| -> Vec<f64> { series.iter().map(|p| num(&p[key])).collect() };
        let rows: [(&str, Vec<f64>, bool); 5] = [
            ("completed", col("completed"), false),
            ("failed", col("failed"), false),
            ("p95 time", col("p95DurationMs"), true),
            ("new", col("newPostings"), false),
            ("queue", col("queueDepthMax"), true),
        ];
        let _ = writeln!(out);
        for (name, values, max) in rows {
            let _ = writeln!(out, "{name:<10} {}", sparkline(&values, SPARK_WIDTH, max));
        }
    } else {
        let busy: Vec<&Value> = series
            .iter()
            .filter(|p| num(&p["jobs"]) + num(&p["retried"]) + num(&p["queueDepthMax"]) > 0.0)
            .collect();
        if !busy.is_empty() {
            let _ = writeln!(
                out,
                "\n{:<26} {:>6} {:>6} {:>7} {:>9} {:>5} {:>5}",
                "start", "done", "failed", "retried", "p95 ms", "new", "queue"
            );
        }
        for p in busy {
            let _ = writeln!(
                out,
                "{:<26} {:>6} {:>6} {:>7} {:>9} {:>5} {:>5}",
                p["start"].as_str().unwrap_or("-"),
                num(&p["completed"]),
                num(&p["failed"]),
                num(&p["retried"]),
                p["p95DurationMs"]
                    .as_u64()
                    .map_or("-".into(), |n| n.to_string()),
                num(&p["newPostings"]),
                num(&p["queueDepthMax"])
            );
        }
    }
    let companies = v["byCompany"].as_array().cloned().unwrap_or_default();
    if !companies.is_empty() {
        let _ = writeln!(
            out,
            "\n{:<28} {:>6} {:>6} {:>9} {:>9}",
            "company", "jobs", "failed", "success", "avg"
        );
        for c in companies.iter().take(20) {
            let _ = writeln!(
                out,
                "{:<28} {:>6} {:>6} {:>9} {:>9}",
                c["name"].as_str().unwrap_or("-"),
                num(&c["jobs"]),
                num(&c["failed"]),
                pct(&c["successRate"]),
                secs(&c["avgDurationMs"])
            );
        }
        if companies.len() > 20 {
            let _ = writeln!(out, "… {} more (see --json)", companies.len() - 20);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_and_fits() {
        assert_eq!(sparkline(&[0.0, 1.0, 2.0, 4.0], 10, false), " ▃▅█");
        let long: Vec<f64> = (0..120).map(|i| i as f64).collect();
        assert_eq!(sparkline(&long, 60, false).chars().count(), 60);
        assert_eq!(sparkline(&[], 60, false), "");
        assert_eq!(sparkline(&[0.0, 0.0], 60, true), "  ");
    }

    #[test]
    fn a_terminal_gets_sparklines_and_a_pipe_gets_numbers() {
        let point = |start: &str, done: u64| {
            serde_json::json!({"start": start, "jobs": done, "completed": done, "failed": 0,
                "retried": 0, "p95DurationMs": 1200, "newPostings": 1, "queueDepthMax": 2})
        };
        let v = serde_json::json!({
            "from": "2026-11-24T00:00:00Z", "to": "2026-11-24T03:00:00Z", "resolution": "hour",
            "company": null,
            "totals": {"jobs": 3, "completed": 3, "failed": 0, "cancelled": 0, "retried": 0,
                "successRate": 1.0, "failureRate": 0.0, "avgDurationMs": 900, "p95DurationMs": 1200,
                "newPostings": 2, "errors": {}, "queueDepthMax": 2},
            "series": [point("2026-11-24T00:00:00Z", 1), point("2026-11-24T01:00:00Z", 0),
                point("2026-11-24T02:00:00Z", 2)],
            "byCompany": [{"id": 1, "name": "Acme", "jobs": 3, "failed": 0, "successRate": 1.0,
                "avgDurationMs": 900}]
        });
        let tty = render(&v, true);
        assert!(tty.contains("completed  ▅ █"), "{tty}");
        assert!(
            tty.contains("duration:  average 900 ms, p95 1.2 s"),
            "{tty}"
        );
        let plain = render(&v, false);
        assert!(!plain.contains('█'));
        assert!(plain.contains("2026-11-24T02:00:00Z"), "{plain}");
        assert!(plain.contains("Acme"));
    }
}
