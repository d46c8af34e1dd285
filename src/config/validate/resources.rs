//! `[resources]`: the controller that fits the job and tab limits to the
//! machine (see `resources::controller` for the algorithm).

use std::time::Duration;

use super::Check;
use crate::config::raw::RawResources;
use crate::config::{LaptopAction, ResourcesConfig};

pub(super) fn resources(c: &mut Check, r: RawResources, max_jobs: usize) -> ResourcesConfig {
    let sample_interval = c.duration("resources.sample_interval", r.sample_interval, "2s");
    if !(Duration::from_millis(100)..=Duration::from_secs(60)).contains(&sample_interval) {
        c.bad(
            "resources.sample_interval",
            &humantime::format_duration(sample_interval).to_string(),
            "a duration from 100ms to 60s",
        );
    }
    let soft_temp = c.float("resources.soft_temp", r.soft_temp, 70.0, 30.0, 100.0);
    let hard_temp = c.float("resources.hard_temp", r.hard_temp, 80.0, 30.0, 100.0);
    let resume_temp = c.float("resources.resume_temp", r.resume_temp, 75.0, 20.0, 100.0);
    if resume_temp >= hard_temp {
        c.bad(
            "resources.resume_temp",
            &resume_temp.to_string(),
            "a temperature below resources.hard_temp, or a hold could never end",
        );
    }
    if soft_temp > hard_temp {
        c.bad(
            "resources.soft_temp",
            &soft_temp.to_string(),
            "a temperature at or below resources.hard_temp",
        );
    }
    let min_jobs = c.int("resources.min_jobs", r.min_jobs, 1, 1, 64) as usize;
    if min_jobs > max_jobs {
        c.bad(
            "resources.min_jobs",
            &min_jobs.to_string(),
            &format!("at most workers.max_concurrency ({max_jobs})"),
        );
    }
    let short_window = c.positive_duration("resources.short_window", r.short_window, "10s");
    let long_window = c.positive_duration("resources.long_window", r.long_window, "60s");
    at_least(
        c,
        ("resources.long_window", long_window),
        ("resources.short_window", short_window),
    );
    let interval = c.duration("resources.interval", r.interval, "10s");
    at_least(
        c,
        ("resources.interval", interval),
        ("resources.sample_interval", sample_interval),
    );
    let sensor = r
        .sensor
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    ResourcesConfig {
        adaptive: r.adaptive.unwrap_or(true),
        sample_interval,
        sensor,
        min_jobs,
        cpu_limit: c.float("resources.cpu_limit", r.cpu_limit, 0.9, 0.1, 1.0),
        memory_floor: c.size("resources.memory_floor", r.memory_floor, "512MiB"),
        soft_temp,
        hard_temp,
        resume_temp,
        lag_limit: c.positive_duration("resources.lag_limit", r.lag_limit, "250ms"),
        short_window,
        long_window,
        overload_share: c.float("resources.overload_share", r.overload_share, 0.4, 0.05, 1.0),
        interval,
        throttle_check: c.positive_duration("resources.throttle_check", r.throttle_check, "1m"),
        on_battery: action(c, "resources.on_battery", r.on_battery),
        when_busy: action(c, "resources.when_busy", r.when_busy),
        busy_cpu: c.float("resources.busy_cpu", r.busy_cpu, 0.5, 0.05, 1.0),
    }
}

fn action(c: &mut Check, key: &str, raw: Option<String>) -> LaptopAction {
    let text = raw.unwrap_or_else(|| "reduce".into());
    LaptopAction::parse(&text).unwrap_or_else(|| {
        let allowed: Vec<&str> = LaptopAction::ALL.iter().map(|a| a.as_str()).collect();
        c.bad(
            key,
            &format!("{text:?}"),
            &format!("one of {}", allowed.join(", ")),
        );
        LaptopAction::Reduce
    })
}

/// `key` must be at least as long as `other`.
fn at_least(c: &mut Check, (key, value): (&str, Duration), (other, bound): (&str, Duration)) {
    if value < bound {
        c.bad(
            key,
            &humantime::format_duration(value).to_string(),
            &format!("a duration at least as long as {other}"),
        );
    }
}
