//! Configuration: the TOML file (or built-in defaults) → a validated [`Config`].
//!
//! Two phases: `raw` mirrors the file with every key optional; `validate`
//! turns it into typed values, collecting *every* problem before reporting, so
//! one run of `scoutly config check` lists them all. Each problem names the
//! key, the bad value and what is allowed. Nothing starts on a bad config.
//!
//! Where the file and directories are is decided in `paths`, reading the
//! environment only through [`Env`] so tests pass a map.

mod paths;
mod raw;
mod values;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

pub use paths::{Env, MapEnv, Paths, PathsError, ProcessEnv, find_config_file};
pub use values::{parse_duration, parse_size};

use raw::RawConfig;
use values::{DURATION_ALLOWED, SIZE_ALLOWED};

/// The commented default configuration, as printed by `scoutly config default`.
pub const DEFAULT_TOML: &str = include_str!("default.toml");

/// Job boards whose API host may be replaced in `[fetch.job_boards]`.
pub const JOB_BOARDS: [&str; 6] = [
    "greenhouse",
    "lever",
    "ashby",
    "smartrecruiters",
    "recruitee",
    "workable",
];

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub http: HttpConfig,
    pub scheduler: SchedulerConfig,
    pub schedule: ScheduleConfig,
    pub queue: QueueConfig,
    pub workers: WorkersConfig,
    pub fetch: FetchConfig,
    pub politeness: PolitenessConfig,
    pub status: StatusConfig,
    pub readiness: ReadinessConfig,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HttpConfig {
    pub listen: SocketAddr,
    pub max_request_body: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SchedulerConfig {
    pub pass_interval: Duration,
}

/// One row of the rank → interval table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RankBand {
    pub min: u8,
    pub max: u8,
    pub interval: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleConfig {
    /// Name of the preset in use, or "custom".
    pub preset: String,
    /// Covers ranks 1..=100 exactly once.
    pub bands: Vec<RankBand>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackoffConfig {
    pub base: Duration,
    pub factor: f64,
    pub cap: Duration,
    pub jitter: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueueConfig {
    pub lease: Duration,
    pub max_attempts: u32,
    pub backoff: BackoffConfig,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WorkersConfig {
    pub max_concurrency: usize,
    pub shutdown_grace: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FetchConfig {
    pub allow_private_targets: bool,
    /// Socket addresses allowed even when private targets are refused (the
    /// demo's own site). Not settable from the file.
    pub allowed_private: Vec<SocketAddr>,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub max_body: u64,
    pub max_redirects: usize,
    pub max_pages: usize,
    pub user_agent: String,
    pub product_token: String,
    pub job_boards: BTreeMap<String, url::Url>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PolitenessConfig {
    pub delay: Duration,
    pub jitter: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatusConfig {
    pub write_interval: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReadinessConfig {
    pub min_free_disk: u64,
}

/// Everything wrong with a config, each problem on its own line.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {message}")]
    Syntax { path: String, message: String },
    #[error("config {path} has {} problem(s):\n{}", .problems.len(), .problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid { path: String, problems: Vec<String> },
}

impl Config {
    /// The built-in defaults.
    pub fn defaults() -> Config {
        validate(RawConfig::default(), "<built-in defaults>").expect("built-in defaults are valid")
    }

    /// Parse and validate TOML text; `origin` names it in messages.
    pub fn from_toml(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: origin.to_string(),
            message: e.to_string(),
        })?;
        validate(raw, origin)
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// The User-Agent header value.
    pub fn user_agent(&self) -> String {
        self.fetch
            .user_agent
            .replace("{version}", env!("CARGO_PKG_VERSION"))
    }
}

pub fn standard_bands() -> Vec<RankBand> {
    const H: u64 = 3600;
    bands(&[
        (81, 100, 24 * H),
        (61, 80, 48 * H),
        (31, 60, 72 * H),
        (11, 30, 96 * H),
        (1, 10, 120 * H),
    ])
}

pub fn frequent_bands() -> Vec<RankBand> {
    const H: u64 = 3600;
    bands(&[
        (95, 100, 12 * H),
        (85, 94, 24 * H),
        (70, 84, 48 * H),
        (50, 69, 7 * 24 * H),
        (1, 49, 14 * 24 * H),
    ])
}

fn bands(rows: &[(u8, u8, u64)]) -> Vec<RankBand> {
    rows.iter()
        .map(|&(min, max, secs)| RankBand {
            min,
            max,
            interval: Duration::from_secs(secs),
        })
        .collect()
}

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

fn validate(raw: RawConfig, origin: &str) -> Result<Config, ConfigError> {
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

    let max_concurrency = c.int(
        "workers.max_concurrency",
        raw.workers.max_concurrency,
        5,
        1,
        64,
    ) as usize;
    let shutdown_grace = c.duration("workers.shutdown_grace", raw.workers.shutdown_grace, "20s");

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
        scheduler: SchedulerConfig { pass_interval },
        schedule,
        queue: QueueConfig {
            lease,
            max_attempts,
            backoff,
        },
        workers: WorkersConfig {
            max_concurrency,
            shutdown_grace,
        },
        fetch,
        politeness,
        status,
        readiness,
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
    let Some(raw_bands) = raw.bands else {
        return ScheduleConfig {
            preset,
            bands: preset_bands,
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
    }
}

#[cfg(test)]
mod tests;
