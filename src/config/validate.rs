//! Raw config → typed [`Config`], collecting every problem before reporting.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use super::raw::{self, RawConfig};
use super::values::{DURATION_ALLOWED, SIZE_ALLOWED, parse_duration, parse_size};
use super::{
    BackoffConfig, Config, ConfigError, CronTrigger, FetchConfig, HttpConfig, JOB_BOARDS,
    PolitenessConfig, QueueConfig, RankBand, ReadinessConfig, RetentionConfig, ScheduleConfig,
    SchedulerConfig, StatusConfig, StoreConfig, WorkersConfig, frequent_bands, standard_bands,
};
use crate::scheduler::{CronError, CronSchedule};

/// Collects problems while converting raw values.
struct Check {
    problems: Vec<String>,
}

impl Check {
    fn duration(&mut self, key: &str, raw: Option<String>, default: &str) -> Duration {
        let text = raw.unwrap_or_else(|| default.to_string());
        match parse_duration(&text) {
            Some(d) => d,
            None => {
                self.bad(key, &format!("{text:?}"), DURATION_ALLOWED);
                parse_duration(default).unwrap_or_default()
            }
        }
    }

    fn positive_duration(&mut self, key: &str, raw: Option<String>, default: &str) -> Duration {
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

    fn size(&mut self, key: &str, raw: Option<String>, default: &str) -> u64 {
        let text = raw.unwrap_or_else(|| default.to_string());
        match parse_size(&text) {
            Some(n) => n,
            None => {
                self.bad(key, &format!("{text:?}"), SIZE_ALLOWED);
                parse_size(default).unwrap_or_default()
            }
        }
    }

    fn int(&mut self, key: &str, raw: Option<i64>, default: i64, min: i64, max: i64) -> i64 {
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

    fn float(&mut self, key: &str, raw: Option<f64>, default: f64, min: f64, max: f64) -> f64 {
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

    fn bad(&mut self, key: &str, value: &str, allowed: &str) {
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

    let f = raw.fetch;
    let product_token = f.product_token.unwrap_or_else(|| "scoutly".into());
    if product_token.is_empty()
        || !product_token
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
    {
        c.bad(
            "fetch.product_token",
            &format!("{product_token:?}"),
            "letters, digits, '-' and '_' only (RFC 9309)",
        );
    }
    let mut job_boards = BTreeMap::new();
    for (name, base) in f.job_boards.unwrap_or_default() {
        let key = format!("fetch.job_boards.{name}");
        if !JOB_BOARDS.contains(&name.as_str()) {
            c.bad(
                &key,
                &format!("{base:?}"),
                &format!("a board among {}", JOB_BOARDS.join(", ")),
            );
            continue;
        }
        match url::Url::parse(&base) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
                job_boards.insert(name, u);
            }
            _ => c.bad(
                &key,
                &format!("{base:?}"),
                "an http(s) base URL such as \"http://127.0.0.1:9000\"",
            ),
        }
    }
    let fetch = FetchConfig {
        allow_private_targets: f.allow_private_targets.unwrap_or(false),
        allowed_private: Vec::new(),
        connect_timeout: c.positive_duration("fetch.connect_timeout", f.connect_timeout, "10s"),
        timeout: c.positive_duration("fetch.timeout", f.timeout, "30s"),
        max_body: c.size("fetch.max_body", f.max_body, "5MiB"),
        max_redirects: c.int("fetch.max_redirects", f.max_redirects, 5, 0, 20) as usize,
        max_pages: c.int("fetch.max_pages", f.max_pages, 10, 1, 1000) as usize,
        user_agent: f
            .user_agent
            .unwrap_or_else(|| "Scoutly/{version} (+https://github.com/scoutly/scoutly)".into()),
        product_token,
        job_boards,
    };
    if fetch.max_body == 0 {
        c.bad("fetch.max_body", "0", "a size greater than zero");
    }

    let politeness = PolitenessConfig {
        delay: c.duration("politeness.delay", raw.politeness.delay, "5s"),
        jitter: c.float("politeness.jitter", raw.politeness.jitter, 0.5, 0.0, 1.0),
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
        },
        store: StoreConfig {
            cache_size,
            flush_interval,
        },
        scheduler: SchedulerConfig {
            pass_interval,
            max_enqueue_per_pass,
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
        status,
        readiness,
        retention,
    })
}

fn schedule(c: &mut Check, raw: raw::RawSchedule) -> ScheduleConfig {
    let preset = raw.preset.unwrap_or_else(|| "standard".into());
    let preset_bands = match preset.as_str() {
        "standard" => standard_bands(),
        "frequent" => frequent_bands(),
        other => {
            c.bad(
                "schedule.preset",
                &format!("{other:?}"),
                "\"standard\" or \"frequent\"",
            );
            standard_bands()
        }
    };
    let cron = cron_triggers(c, raw.cron.unwrap_or_default());
    let Some(raw_bands) = raw.bands else {
        return ScheduleConfig {
            preset,
            bands: preset_bands,
            cron,
        };
    };
    let mut covered = [0u8; 101];
    let mut out = Vec::new();
    for (i, b) in raw_bands.into_iter().enumerate() {
        let key = format!("schedule.bands[{i}]");
        let range = b.ranks.split_once('-').and_then(|(lo, hi)| {
            Some((lo.trim().parse::<u8>().ok()?, hi.trim().parse::<u8>().ok()?))
        });
        let Some((min, max)) = range.filter(|(lo, hi)| *lo >= 1 && lo <= hi && *hi <= 100) else {
            c.bad(
                &format!("{key}.ranks"),
                &format!("{:?}", b.ranks),
                "a rank range such as \"81-100\" within 1-100",
            );
            continue;
        };
        let interval = c.positive_duration(&format!("{key}.interval"), Some(b.interval), "24h");
        for r in min..=max {
            covered[r as usize] += 1;
        }
        out.push(RankBand { min, max, interval });
    }
    let gaps: Vec<usize> = (1..=100).filter(|&r| covered[r] == 0).collect();
    let overlaps: Vec<usize> = (1..=100).filter(|&r| covered[r] > 1).collect();
    if !gaps.is_empty() || !overlaps.is_empty() {
        c.problems.push(format!(
            "`schedule.bands` must cover ranks 1-100 exactly once; ranks not covered: {gaps:?}, ranks covered twice: {overlaps:?}"
        ));
    }
    out.sort_by_key(|b| std::cmp::Reverse(b.min));
    ScheduleConfig {
        preset: "custom".into(),
        bands: out,
        cron,
    }
}

fn cron_triggers(c: &mut Check, raw: Vec<raw::RawCron>) -> Vec<CronTrigger> {
    let mut out = Vec::new();
    for (i, t) in raw.into_iter().enumerate() {
        let key = format!("schedule.cron[{i}]");
        let min_rank = c.int(&format!("{key}.min_rank"), t.min_rank, 1, 1, 100) as u8;
        let Some(tz) = t.tz else {
            c.problems.push(format!(
                "`{key}.tz` is missing: give the time zone its times are read in, an IANA name such as \"Europe/London\" or \"UTC\""
            ));
            continue;
        };
        match CronSchedule::parse(&t.expr, &tz) {
            Ok(schedule) => out.push(CronTrigger { schedule, min_rank }),
            Err(e @ CronError::UnknownZone) => {
                c.problems.push(format!("`{key}.tz` = {tz:?} {e}"));
            }
            Err(e) => c.problems.push(format!("`{key}.expr` = {:?} {e}", t.expr)),
        }
    }
    out
}
