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
pub mod secret;
mod validate;
mod values;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

pub use crate::resources::controller::LaptopAction;

pub use paths::{Env, MapEnv, Paths, PathsError, ProcessEnv, find_config_file};
pub use values::{parse_duration, parse_size};

use raw::RawConfig;
use validate::validate;

/// The commented default configuration, as printed by `scoutly config default`.
pub const DEFAULT_TOML: &str = include_str!("default.toml");

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub http: HttpConfig,
    pub store: StoreConfig,
    pub scheduler: SchedulerConfig,
    pub schedule: ScheduleConfig,
    pub queue: QueueConfig,
    pub workers: WorkersConfig,
    pub fetch: FetchConfig,
    pub politeness: PolitenessConfig,
    pub status: StatusConfig,
    pub readiness: ReadinessConfig,
    pub retention: RetentionConfig,
    pub breaker: BreakerConfig,
    pub quarantine: QuarantineConfig,
    pub browser: BrowserConfig,
    pub resources: ResourcesConfig,
    pub analysis: AnalysisConfig,
    pub notify: NotifyConfig,
    pub alerts: AlertsConfig,
}

/// `[alerts]`: the job-history rules of `crate::alerts`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertsConfig {
    pub interval: Duration,
    /// Share of ended scrapes, 0-1, above which `failure_rate` fires.
    pub failure_rate: f64,
    pub failure_window: Duration,
    pub failure_min_jobs: u64,
    pub no_success_after: Duration,
    pub stall_after: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HttpConfig {
    pub listen: SocketAddr,
    pub max_request_body: usize,
    /// API requests a minute per token, after a burst of `rate_burst`.
    pub rate_limit: u32,
    pub rate_burst: u32,
    /// `/metrics` asks for a token, like the API.
    pub metrics_token: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoreConfig {
    /// Bytes of redb read cache.
    pub cache_size: usize,
    /// Lazy commits (routine progress) reach the disk at most this late.
    pub flush_interval: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SchedulerConfig {
    pub pass_interval: Duration,
    /// Scheduled and catch-up jobs one pass may create; the rest stay due
    /// and are taken by the next passes, most overdue first.
    pub max_enqueue_per_pass: usize,
    /// A user with no API or dashboard request for this long stops counting
    /// toward companies' effective ranks (`None`: never).
    pub inactive_user_after: Option<Duration>,
    /// Scheduled jobs expected to take longest are started first (ties by
    /// rank), so a round finishes sooner.
    pub duration_order: bool,
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
    /// `[[schedule.cron]]`: extra scrapes at fixed wall-clock times.
    pub cron: Vec<CronTrigger>,
}

/// One `[[schedule.cron]]` entry: when it fires, every tracked company whose
/// effective rank is at least `min_rank` gets a `cron` job.
#[derive(Debug, Clone, PartialEq)]
pub struct CronTrigger {
    pub schedule: crate::scheduler::CronSchedule,
    pub min_rank: u8,
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
    pub max_manual_per_user: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WorkersConfig {
    pub max_concurrency: usize,
    pub shutdown_grace: Duration,
    pub progress_interval: Duration,
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
    /// `{version}` and `{contact}` are replaced when sent.
    pub user_agent: String,
    pub contact_url: String,
    pub product_token: String,
    /// How long a fetched robots.txt is trusted.
    pub robots_cache: Duration,
    /// Browser identities to present instead of the honest User-Agent; empty
    /// by default.
    pub identities: Vec<Identity>,
    pub job_boards: BTreeMap<String, url::Url>,
}

/// A consistent set of browser headers (`[[fetch.identities]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub user_agent: String,
    pub accept: String,
    pub accept_language: String,
    pub sec_ch_ua: Option<String>,
    pub sec_ch_ua_mobile: Option<String>,
    pub sec_ch_ua_platform: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PolitenessConfig {
    pub delay: Duration,
    pub jitter: f64,
    /// Longest `Retry-After` honoured; longer asks are cut to this.
    pub max_retry_after: Duration,
    /// Longest delay a host's repeated pushback can grow to.
    pub max_delay: Duration,
}

/// Per-host circuit breaker.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakerConfig {
    /// Consecutive host failures that open the circuit.
    pub failures: u32,
    /// First cool-off; doubles with each reopening up to `max_cool_off`.
    pub cool_off: Duration,
    pub max_cool_off: Duration,
}

/// When a failing company stops being scheduled.
#[derive(Debug, Clone, PartialEq)]
pub struct QuarantineConfig {
    /// Circuit openings since the last success.
    pub after_opens: u32,
    /// Time since the first failure after the last success.
    pub after_failing_for: Duration,
}

/// The headless browser for pages that need JavaScript.
#[derive(Debug, Clone, PartialEq)]
pub struct BrowserConfig {
    /// Chromium's executable: a path, or a name looked up on `PATH`.
    pub executable: String,
    /// Pages rendered at once (0 turns the browser off).
    pub tabs: usize,
    /// Longest a page may take, from navigation to its HTML.
    pub page_timeout: Duration,
    /// Longest wait after `load` for the network to go quiet.
    pub network_idle: Duration,
    /// A CSS selector to wait for instead of network idle.
    pub wait_for: Option<String>,
    /// Pages rendered before the browser is restarted.
    pub restart_after: u32,
    /// A browser unused this long is closed.
    pub idle_close: Duration,
    /// The browser is not launched while less memory than this is available.
    pub min_available_memory: u64,
    /// Pass `--no-sandbox` even when not running as root (as root it always is).
    pub no_sandbox: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatusConfig {
    pub write_interval: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RetentionConfig {
    pub completed: Duration,
    pub failed: Duration,
    pub cancelled: Duration,
    /// How often a pruning sweep runs.
    pub interval: Duration,
}

/// `[resources]`: how the job and tab limits follow the machine. The
/// maximum jobs are `workers.max_concurrency`, the maximum tabs
/// `browser.tabs`, and tabs need `browser.min_available_memory` available.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourcesConfig {
    pub adaptive: bool,
    pub sample_interval: Duration,
    /// The label of the sensor that drives decisions (`None`: the SoC's).
    pub sensor: Option<String>,
    pub min_jobs: usize,
    pub cpu_limit: f64,
    pub memory_floor: u64,
    pub soft_temp: f64,
    pub hard_temp: f64,
    pub resume_temp: f64,
    pub lag_limit: Duration,
    pub short_window: Duration,
    pub long_window: Duration,
    pub overload_share: f64,
    pub interval: Duration,
    /// How often `vcgencmd get_throttled` runs, where it exists.
    pub throttle_check: Duration,
    pub on_battery: LaptopAction,
    pub when_busy: LaptopAction,
    pub busy_cpu: f64,
}

/// `[analysis]`: how new postings are matched to users.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisConfig {
    pub backend: AnalysisBackend,
    /// Characters of a posting's text kept and analysed.
    pub max_text: usize,
    pub openai: OpenAiConfig,
    pub limits: AiLimits,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnalysisBackend {
    /// The offline keyword matcher.
    Builtin,
    /// A server speaking OpenAI's chat-completions API.
    OpenAi,
}

/// `[analysis.openai]`.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenAiConfig {
    /// Up to and including `/v1`; `/chat/completions` is appended.
    pub base_url: url::Url,
    pub model: String,
    /// The environment variable holding the key.
    pub api_key_env: String,
    /// A file (readable by its owner only) holding the key, used when the
    /// variable is unset.
    pub api_key_file: Option<std::path::PathBuf>,
    pub timeout: Duration,
    /// Estimated input tokens one request may carry.
    pub batch_tokens: u32,
    /// Postings one request may carry.
    pub batch_size: usize,
    /// `max_tokens` asked for the reply.
    pub max_reply_tokens: u32,
}

/// `[analysis.limits]`: the AI plan's rate limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AiLimits {
    pub rpm: u32,
    pub tpm: u32,
    pub rpd: u32,
}

/// `[notify]`.
#[derive(Debug, Clone, PartialEq)]
pub struct NotifyConfig {
    /// How often digest sinks get their digest.
    pub digest_interval: Duration,
    /// Longest one delivery try may take.
    pub timeout: Duration,
    /// An item still undelivered this long after it was written is declared
    /// dead (kept for the operator, never sent again).
    pub give_up_after: Duration,
    /// Backlog size that raises the `backlog` operator event.
    pub backlog_alert: u64,
    pub sinks: Vec<Sink>,
}

/// One `[[notify.sinks]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Sink {
    /// Unique; the outbox knows the sink by it.
    pub name: String,
    pub kind: SinkKind,
    pub url: url::Url,
    /// Postings matched for this user (by name) go here.
    pub user: Option<String>,
    pub mode: SinkMode,
    pub min_score: u8,
    /// Operator events sent here.
    pub events: Vec<String>,
    /// For `kind = "email"`: where the mail goes and how the server is
    /// reached (the host and port are the `url`'s).
    pub email: Option<EmailSink>,
}

/// An e-mail sink's settings beyond its `smtp://` or `smtps://` URL.
#[derive(Debug, Clone, PartialEq)]
pub struct EmailSink {
    /// Recipients, as checked addresses (`Name <a@b>` or `a@b`).
    pub to: Vec<String>,
    pub from: String,
    pub tls: MailTls,
    /// The SMTP user (the URL's user part), when the server wants a login.
    pub username: Option<String>,
    /// Where the password is: an environment variable, or a file only its
    /// owner may read. Never in this config.
    pub password_env: Option<String>,
    pub password_file: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailTls {
    /// `smtp://`: STARTTLS, required (port 587 by default).
    StartTls,
    /// `smtps://`: TLS from the first byte (port 465 by default).
    Implicit,
    /// `smtp://…?tls=none`: plain text, to a relay on this machine only.
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkKind {
    /// POST of a JSON document.
    Webhook,
    /// POST to an ntfy topic URL.
    Ntfy,
    /// POST of `{"text", "blocks"}` to a Slack-compatible incoming webhook.
    Slack,
    /// A mail through an SMTP server.
    Email,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkMode {
    Immediate,
    Digest,
}

/// Operator events a sink can receive.
pub const EVENTS: &[&str] = &[
    "quarantined",
    "backlog",
    "failure_rate",
    "no_success",
    "queue_stalled",
    "hot",
    "overheated",
    "disk_low",
    "memory_low",
    "under_voltage",
    "throttled",
];

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
            .replace("{contact}", &self.fetch.contact_url)
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

#[cfg(test)]
mod tests;
