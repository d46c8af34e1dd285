//! Raw config → typed [`Config`], collecting every problem before reporting.

use std::net::SocketAddr;
use std::time::Duration;

use super::raw::RawConfig;
use super::values::{DURATION_ALLOWED, SIZE_ALLOWED, parse_duration, parse_size};
use super::{
    AlertsConfig, BackoffConfig, Config, ConfigError, HttpConfig, QueueConfig, ReadinessConfig,
    RetentionConfig, SchedulerConfig, StatusConfig, StoreConfig, WorkersConfig,
};

/// Collects problems while converting raw values.
pub(super) struct Check {
    pub(super) problems: Vec<String>,
}

mod analysis;
mod browser;
mod fetch;
mod notify;
mod resources;
mod schedule;

use browser::browser;
use resources::resources;
use schedule::schedule;

impl Check {
    pub(super) fn duration(&mut self, key: &str, raw: Option<String>, default: &str) -> Duration {
        let text = raw.unwrap_or_else(|| default.to_string());
        match parse_duration(&text) {
            Some(d) => d,
            None => {
                self.bad(key, &format!("{text:?}"), DURATION_ALLOWED);
                parse_duration(default).unwrap_or_default()
            }
        }
    }

    pub(super) fn positive_duration(
        &mut self,
        key: &str,
        raw: Option<String>,
        default: &str,
    ) -> Duration {
        let d = self.duration(key, raw.clone(), default);
        if d.is_zero() && raw.as_deref().and_then(parse_duration).is_some() {
            self.bad(
                key,
                &format!("{:?}", raw.unwrap_or_default()),
                "a duration greater than zero",
            );
        }
        d
    }

    pub(super) fn size(&mut self, key: &str, raw: Option<String>, default: &str) -> u64 {
        let text = raw.unwrap_or_else(|| default.to_string());
        match parse_size(&text) {
            Some(n) => n,
            None => {
                self.bad(key, &format!("{text:?}"), SIZE_ALLOWED);
                parse_size(default).unwrap_or_default()
            }
        }
    }

    pub(super) fn int(
        &mut self,
        key: &str,
        raw: Option<i64>,
        default: i64,
        min: i64,
        max: i64,
    ) -> i64 {
        let v = raw.unwrap_or(default);
        if (min..=max).contains(&v) {
            v
        } else {
            self.bad(
                key,
                &v.to_string(),
                &format!("a whole number from {min} to {max}"),
            );
            default
        }
    }

    pub(super) fn float(
        &mut self,
        key: &str,
        raw: Option<f64>,
        default: f64,
        min: f64,
        max: f64,
    ) -> f64 {
        let v = raw.unwrap_or(default);
        if v.is_finite() && v >= min && v <= max {
            v
        } else {
            self.bad(
                key,
                &v.to_string(),
                &format!("a number from {min} to {max}"),
            );
            default
        }
    }

    pub(super) fn bad(&mut self, key: &str, value: &str, allowed: &str) {
        self.problems.push(format!(
            "`{key}` = {value} is not allowed: expected {allowed}"
        ));
    }
}

pub(super) fn validate(raw: RawConfig, origin: &str) -> Result<Config, ConfigError> {
    let mut c = Check {
        problems: Vec::new(),
    };

    let listen_text = raw
        .http
        .listen
        .unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let listen = listen_text.parse::<SocketAddr>().unwrap_or_else(|_| {
        c.bad(
            "http.listen",
            &format!("{listen_text:?}"),
            "an IP address and port such as \"127.0.0.1:8080\" or \"[::1]:8080\"",
        );
        SocketAddr::from(([127, 0, 0, 1], 8080))
    });
    let max_request_body =
        c.size("http.max_request_body", raw.http.max_request_body, "64KiB") as usize;

    let rate_limit = c.int("http.rate_limit", raw.http.rate_limit, 600, 1, 1_000_000) as u32;
    let rate_burst = c.int("http.rate_burst", raw.http.rate_burst, 120, 1, 1_000_000) as u32;
    let cache_size = c.size("store.cache_size", raw.store.cache_size, "4MiB") as usize;
    let flush_interval =
        c.positive_duration("store.flush_interval", raw.store.flush_interval, "10s");
    if cache_size > 1 << 30 {
        c.bad(
            "store.cache_size",
            &cache_size.to_string(),
            "a size up to 1GiB",
        );
    }

    let max_enqueue_per_pass = c.int(
        "scheduler.max_enqueue_per_pass",
        raw.scheduler.max_enqueue_per_pass,
        1000,
        1,
        1_000_000,
    ) as usize;
    let pass_interval = c.positive_duration(
        "scheduler.pass_interval",
        raw.scheduler.pass_interval,
        "60s",
    );
    // "0s" turns it off: every user counts, however long away. Activity is
    // recorded at most hourly, so less than a day would misjudge users.
    let inactive_user_after = Some(c.duration(
        "scheduler.inactive_user_after",
        raw.scheduler.inactive_user_after,
        "30days",
    ))
    .filter(|d| !d.is_zero());
    if inactive_user_after.is_some_and(|d| d < Duration::from_secs(86_400)) {
        c.bad(
            "scheduler.inactive_user_after",
            &format!(
                "{:?}",
                humantime::format_duration(inactive_user_after.unwrap_or_default()).to_string()
            ),
            "\"0s\" (off) or at least \"1day\"",
        );
    }

    let schedule = schedule(&mut c, raw.schedule);

    let lease = c.positive_duration("queue.lease", raw.queue.lease, "5m");
    let max_attempts = c.int("queue.max_attempts", raw.queue.max_attempts, 3, 1, 100) as u32;
    let backoff = BackoffConfig {
        base: c.duration("queue.backoff_base", raw.queue.backoff_base, "30s"),
        factor: c.float(
            "queue.backoff_factor",
            raw.queue.backoff_factor,
            2.0,
            1.0,
            10.0,
        ),
        cap: c.duration("queue.backoff_cap", raw.queue.backoff_cap, "1h"),
        jitter: c.float(
            "queue.backoff_jitter",
            raw.queue.backoff_jitter,
            0.2,
            0.0,
            1.0,
        ),
    };

    let max_manual_per_user = c.int(
        "queue.max_manual_per_user",
        raw.queue.max_manual_per_user,
        3,
        1,
        1000,
    ) as u32;
    let max_concurrency = c.int(
        "workers.max_concurrency",
        raw.workers.max_concurrency,
        5,
        1,
        64,
    ) as usize;
    let shutdown_grace = c.duration("workers.shutdown_grace", raw.workers.shutdown_grace, "20s");
    let progress_interval = c.positive_duration(
        "workers.progress_interval",
        raw.workers.progress_interval,
        "10s",
    );

    let (fetch, politeness, breaker, quarantine) = fetch::fetch(
        &mut c,
        raw.fetch,
        raw.politeness,
        raw.breaker,
        raw.quarantine,
    );
    let browser = browser(&mut c, raw.browser);
    let resources = resources(&mut c, raw.resources, max_concurrency);
    let analysis = analysis::analysis(&mut c, raw.analysis);
    let notify = notify::notify(&mut c, raw.notify);
    let a = raw.alerts;
    let alerts = AlertsConfig {
        interval: c.positive_duration("alerts.interval", a.interval, "30s"),
        failure_rate: c.float("alerts.failure_rate", a.failure_rate, 0.5, 0.0, 1.0),
        failure_window: c.positive_duration("alerts.failure_window", a.failure_window, "1h"),
        failure_min_jobs: c.int(
            "alerts.failure_min_jobs",
            a.failure_min_jobs,
            10,
            1,
            1_000_000,
        ) as u64,
        no_success_after: c.positive_duration("alerts.no_success_after", a.no_success_after, "24h"),
        stall_after: c.positive_duration("alerts.stall_after", a.stall_after, "30min"),
    };
    let status = StatusConfig {
        write_interval: c.positive_duration(
            "status.write_interval",
            raw.status.write_interval,
            "5s",
        ),
    };
    let readiness = ReadinessConfig {
        min_free_disk: c.size(
            "readiness.min_free_disk",
            raw.readiness.min_free_disk,
            "100MiB",
        ),
    };

    let retention = RetentionConfig {
        completed: c.positive_duration("retention.completed", raw.retention.completed, "7days"),
        failed: c.positive_duration("retention.failed", raw.retention.failed, "30days"),
        cancelled: c.positive_duration("retention.cancelled", raw.retention.cancelled, "30days"),
        interval: c.positive_duration("retention.interval", raw.retention.interval, "10m"),
    };

    if !c.problems.is_empty() {
        return Err(ConfigError::Invalid {
            path: origin.to_string(),
            problems: c.problems,
        });
    }
    Ok(Config {
        http: HttpConfig {
            listen,
            max_request_body,
            rate_limit,
            rate_burst,
            metrics_token: raw.http.metrics_token.unwrap_or(false),
        },
        store: StoreConfig {
            cache_size,
            flush_interval,
        },
        scheduler: SchedulerConfig {
            pass_interval,
            max_enqueue_per_pass,
            inactive_user_after,
            duration_order: raw.scheduler.duration_order.unwrap_or(true),
        },
        schedule,
        queue: QueueConfig {
            lease,
            max_attempts,
            backoff,
            max_manual_per_user,
        },
        workers: WorkersConfig {
            max_concurrency,
            shutdown_grace,
            progress_interval,
        },
        fetch,
        politeness,
        breaker,
        quarantine,
        browser,
        resources,
        analysis,
        notify,
        alerts,
        status,
        readiness,
        retention,
    })
}
