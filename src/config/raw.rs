//! The config file as written: every key optional, strings for durations and
//! sizes. Unknown keys are rejected by serde so typos surface at once.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawConfig {
    pub http: RawHttp,
    pub store: RawStore,
    pub scheduler: RawScheduler,
    pub schedule: RawSchedule,
    pub queue: RawQueue,
    pub workers: RawWorkers,
    pub fetch: RawFetch,
    pub politeness: RawPoliteness,
    pub status: RawStatus,
    pub readiness: RawReadiness,
    pub retention: RawRetention,
    pub breaker: RawBreaker,
    pub quarantine: RawQuarantine,
    pub browser: RawBrowser,
    pub resources: RawResources,
    pub analysis: RawAnalysis,
    pub notify: RawNotify,
    pub alerts: RawAlerts,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawAlerts {
    pub interval: Option<String>,
    pub failure_rate: Option<f64>,
    pub failure_window: Option<String>,
    pub failure_min_jobs: Option<i64>,
    pub no_success_after: Option<String>,
    pub stall_after: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawHttp {
    pub listen: Option<String>,
    pub max_request_body: Option<String>,
    pub rate_limit: Option<i64>,
    pub rate_burst: Option<i64>,
    pub metrics_token: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawStore {
    pub cache_size: Option<String>,
    pub flush_interval: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawScheduler {
    pub pass_interval: Option<String>,
    pub max_enqueue_per_pass: Option<i64>,
    pub inactive_user_after: Option<String>,
    pub duration_order: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawSchedule {
    pub preset: Option<String>,
    pub bands: Option<Vec<RawBand>>,
    pub cron: Option<Vec<RawCron>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCron {
    pub expr: String,
    pub tz: Option<String>,
    pub min_rank: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBand {
    pub ranks: String,
    pub interval: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawQueue {
    pub lease: Option<String>,
    pub max_attempts: Option<i64>,
    pub backoff_base: Option<String>,
    pub backoff_factor: Option<f64>,
    pub backoff_cap: Option<String>,
    pub backoff_jitter: Option<f64>,
    pub max_manual_per_user: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawWorkers {
    pub max_concurrency: Option<i64>,
    pub shutdown_grace: Option<String>,
    pub progress_interval: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawFetch {
    pub allow_private_targets: Option<bool>,
    pub connect_timeout: Option<String>,
    pub timeout: Option<String>,
    pub max_body: Option<String>,
    pub max_redirects: Option<i64>,
    pub max_pages: Option<i64>,
    pub user_agent: Option<String>,
    pub contact_url: Option<String>,
    pub product_token: Option<String>,
    pub robots_cache: Option<String>,
    pub identities: Option<Vec<RawIdentity>>,
    pub job_boards: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIdentity {
    pub name: Option<String>,
    pub user_agent: String,
    pub accept: Option<String>,
    pub accept_language: Option<String>,
    pub sec_ch_ua: Option<String>,
    pub sec_ch_ua_mobile: Option<String>,
    pub sec_ch_ua_platform: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawBreaker {
    pub failures: Option<i64>,
    pub cool_off: Option<String>,
    pub max_cool_off: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawQuarantine {
    pub after_opens: Option<i64>,
    pub after_failing_for: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawPoliteness {
    pub delay: Option<String>,
    pub jitter: Option<f64>,
    pub max_retry_after: Option<String>,
    pub max_delay: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawStatus {
    pub write_interval: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawReadiness {
    pub min_free_disk: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawRetention {
    pub completed: Option<String>,
    pub failed: Option<String>,
    pub cancelled: Option<String>,
    pub interval: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawBrowser {
    pub executable: Option<String>,
    pub tabs: Option<i64>,
    pub page_timeout: Option<String>,
    pub network_idle: Option<String>,
    pub wait_for: Option<String>,
    pub restart_after: Option<i64>,
    pub idle_close: Option<String>,
    pub min_available_memory: Option<String>,
    pub no_sandbox: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawResources {
    pub adaptive: Option<bool>,
    pub sample_interval: Option<String>,
    pub sensor: Option<String>,
    pub min_jobs: Option<i64>,
    pub cpu_limit: Option<f64>,
    pub memory_floor: Option<String>,
    pub soft_temp: Option<f64>,
    pub hard_temp: Option<f64>,
    pub resume_temp: Option<f64>,
    pub lag_limit: Option<String>,
    pub short_window: Option<String>,
    pub long_window: Option<String>,
    pub overload_share: Option<f64>,
    pub interval: Option<String>,
    pub throttle_check: Option<String>,
    pub on_battery: Option<String>,
    pub when_busy: Option<String>,
    pub busy_cpu: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawAnalysis {
    pub backend: Option<String>,
    pub max_text: Option<i64>,
    pub openai: RawOpenAi,
    pub limits: RawAiLimits,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawOpenAi {
    pub base_url: Option<String>,
    pub model: Option<String>,
    pub api_key_env: Option<String>,
    pub api_key_file: Option<String>,
    pub timeout: Option<String>,
    pub batch_tokens: Option<i64>,
    pub batch_size: Option<i64>,
    pub max_reply_tokens: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawAiLimits {
    pub rpm: Option<i64>,
    pub tpm: Option<i64>,
    pub rpd: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawNotify {
    pub digest_interval: Option<String>,
    pub timeout: Option<String>,
    pub give_up_after: Option<String>,
    pub backlog_alert: Option<i64>,
    pub sinks: Option<Vec<RawSink>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSink {
    pub name: String,
    pub kind: String,
    pub url: String,
    pub user: Option<String>,
    pub mode: Option<String>,
    pub min_score: Option<i64>,
    pub events: Option<Vec<String>>,
    pub to: Option<Vec<String>>,
    pub from: Option<String>,
    pub password_env: Option<String>,
    pub password_file: Option<String>,
}
