//! `GET /metrics`: the Prometheus text exposition format (version 0.0.4).
//!
//! Gauges are read when asked: queue depth from the store's counters,
//! limits and readings from the resource monitor's view, the AI budget,
//! backlog and outbox from the status report. Counters come from
//! [`crate::metrics`]. Needs no token unless `http.metrics_token` is set.

use std::fmt::Write;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::{ApiError, AppState};
use crate::model::CompanyState;
use crate::status::{self, StatusReport};
use crate::store;

/// One exposition, built family by family.
struct Text(String);

impl Text {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP scoutly_{name} {help}");
        let _ = writeln!(self.0, "# TYPE scoutly_{name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        let _ = write!(self.0, "scoutly_{name}");
        if !labels.is_empty() {
            let inner: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                .collect();
            let _ = write!(self.0, "{{{}}}", inner.join(","));
        }
        let _ = writeln!(self.0, " {value}");
    }

    /// A family with one unlabelled sample.
    fn one(&mut self, name: &str, kind: &str, help: &str, value: f64) {
        self.family(name, kind, help);
        self.sample(name, &[], value);
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

pub async fn metrics(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    if state.metrics_token {
        super::auth::token_owner(&state, &headers).await?;
    }
    let c = state.control.clone();
    let now = c.clock.now();
    let (report, states) = c
        .store
        .clone()
        .run(move |s| {
            let report = status::build(s, c.live.as_ref(), now)?;
            let states = s.read(|rx| {
                Ok(store::list_companies(rx)?
                    .iter()
                    .map(|c| c.health.state)
                    .collect::<Vec<_>>())
            })?;
            Ok((report, states))
        })
        .await?;
    let circuits = state.control.fetcher.as_ref().map(|f| f.open_circuits());
    let body = render(&report, &states, circuits);
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    ))
}

fn render(r: &StatusReport, states: &[CompanyState], circuits: Option<usize>) -> String {
    let mut t = Text(String::new());
    t.one("up", "gauge", "1 while the appliance answers.", 1.0);
    t.family("queue_jobs", "gauge", "Jobs in the queue by status.");
    let q = &r.queue;
    for (status, n) in [
        ("pending", q.pending),
        ("in_progress", q.in_progress),
        ("completed", q.completed),
        ("failed", q.failed),
        ("cancelled", q.cancelled),
    ] {
        t.sample("queue_jobs", &[("status", status)], n as f64);
    }
    let m = crate::metrics::snapshot();
    t.family(
        "job_attempts_total",
        "counter",
        "Job attempts ended since start, by outcome.",
    );
    for (outcome, n) in &m.jobs {
        t.sample("job_attempts_total", &[("outcome", outcome)], *n as f64);
    }
    t.family(
        "job_failures_total",
        "counter",
        "Failed job attempts since start, by failure class.",
    );
    for (class, n) in &m.failures {
        t.sample("job_failures_total", &[("class", class)], *n as f64);
    }
    t.family(
        "fetch_latency_seconds",
        "histogram",
        "Time from sending a request to its answer's headers (or its failure).",
    );
    for (bound, n) in &m.latency {
        t.sample(
            "fetch_latency_seconds_bucket",
            &[("le", &bound.to_string())],
            *n as f64,
        );
    }
    t.sample(
        "fetch_latency_seconds_bucket",
        &[("le", "+Inf")],
        m.latency_count as f64,
    );
    t.sample("fetch_latency_seconds_sum", &[], m.latency_sum);
    t.sample("fetch_latency_seconds_count", &[], m.latency_count as f64);
    if let Some(n) = circuits {
        t.one(
            "open_circuits",
            "gauge",
            "Hosts whose circuit breaker is open.",
            n as f64,
        );
    }
    t.family("companies", "gauge", "Companies by scrape state.");
    for s in [
        CompanyState::Healthy,
        CompanyState::BackingOff,
        CompanyState::CircuitOpen,
        CompanyState::Quarantined,
    ] {
        let n = states.iter().filter(|x| **x == s).count();
        t.sample("companies", &[("state", s.as_str())], n as f64);
    }
    t.one(
        "postings",
        "gauge",
        "Postings recorded (baseline ones included).",
        r.postings.total as f64,
    );
    t.family("concurrency_limit", "gauge", "What may run at once now.");
    t.sample(
        "concurrency_limit",
        &[("what", "jobs")],
        r.concurrency.limit as f64,
    );
    t.sample(
        "concurrency_limit",
        &[("what", "jobs_max")],
        r.concurrency.max as f64,
    );
    if let Some(v) = &r.resources {
        t.sample(
            "concurrency_limit",
            &[("what", "tabs")],
            v.limits.tabs as f64,
        );
        t.one(
            "paused",
            "gauge",
            "1 while nothing new may start (heat, laptop mode).",
            f64::from(u8::from(v.limits.paused)),
        );
        t.one(
            "resource_alerts",
            "gauge",
            "Open resource alerts.",
            v.alerts.len() as f64,
        );
        if let Some(s) = &v.readings {
            let mut reading = |name: &str, help: &str, value: Option<f64>| {
                if let Some(x) = value {
                    t.one(name, "gauge", help, x);
                }
            };
            reading("cpu_ratio", "Share of all cores in use.", s.cpu);
            reading(
                "available_memory_bytes",
                "Memory available to new work.",
                s.available_memory.map(|b| b as f64),
            );
            reading(
                "resident_memory_bytes",
                "The appliance's resident memory.",
                s.own_rss.map(|b| b as f64),
            );
            reading(
                "disk_free_bytes",
                "Free space on the data directory's filesystem.",
                s.disk_free.map(|b| b as f64),
            );
            reading(
                "temperature_celsius",
                "The deciding temperature sensor.",
                s.temperature.as_ref().map(|t| t.celsius),
            );
            reading(
                "fan_rpm",
                "The fan's speed (Raspberry Pi pwmfan), where the kernel shows one.",
                s.fan.and_then(|f| f.rpm).map(f64::from),
            );
            reading(
                "fan_pwm_ratio",
                "The fan's drive, 0-1, as the firmware's fan curve sets it.",
                s.fan
                    .and_then(|f| f.pwm_percent)
                    .map(|p| f64::from(p) / 100.0),
            );
            reading(
                "event_loop_lag_seconds",
                "How late the appliance's timers fire.",
                s.loop_lag_ms.map(|ms| ms as f64 / 1000.0),
            );
        }
    }
    let a = &r.analysis;
    t.one(
        "analysis_backlog",
        "gauge",
        "New postings waiting to be read or analysed.",
        a.backlog as f64,
    );
    t.family("outbox", "gauge", "Notifications by state.");
    t.sample("outbox", &[("state", "pending")], a.outbox_pending as f64);
    t.sample("outbox", &[("state", "given_up")], a.outbox_dead as f64);
    if let Some(b) = &a.budget {
        t.family("ai_budget_used", "gauge", "AI budget used in its window.");
        t.sample(
            "ai_budget_used",
            &[("window", "minute"), ("unit", "requests")],
            f64::from(b.minute_requests),
        );
        t.sample(
            "ai_budget_used",
            &[("window", "minute"), ("unit", "tokens")],
            b.minute_tokens as f64,
        );
        t.sample(
            "ai_budget_used",
            &[("window", "day"), ("unit", "requests")],
            f64::from(b.day_requests),
        );
        t.family("ai_budget_limit", "gauge", "The AI plan's limits.");
        t.sample(
            "ai_budget_limit",
            &[("window", "minute"), ("unit", "requests")],
            f64::from(b.rpm),
        );
        t.sample(
            "ai_budget_limit",
            &[("window", "minute"), ("unit", "tokens")],
            f64::from(b.tpm),
        );
        t.sample(
            "ai_budget_limit",
            &[("window", "day"), ("unit", "requests")],
            f64::from(b.rpd),
        );
    }
    t.0
}
