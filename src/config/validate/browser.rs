//! `[browser]`: the headless Chromium for pages that need JavaScript.

use super::Check;
use crate::config::BrowserConfig;
use crate::config::raw::RawBrowser;

/// Chromium renders at most this many pages at once: each tab of a
/// JavaScript-heavy page costs a few hundred MiB on a Pi.
pub const MAX_TABS: i64 = 2;

pub(super) fn browser(c: &mut Check, b: RawBrowser) -> BrowserConfig {
    let executable = b.executable.unwrap_or_else(|| "chromium".into());
    if executable.trim().is_empty() {
        c.bad(
            "browser.executable",
            "\"\"",
            "Chromium's path or a command name on PATH, such as \"chromium\"",
        );
    }
    let wait_for = b.wait_for.filter(|s| !s.trim().is_empty());
    if let Some(sel) = &wait_for
        && (sel.len() > 500 || sel.contains(['{', '}', '\n']))
    {
        c.bad(
            "browser.wait_for",
            &format!("{sel:?}"),
            "a CSS selector of at most 500 characters, such as \"#jobs li\"",
        );
    }
    let page_timeout = c.positive_duration("browser.page_timeout", b.page_timeout, "30s");
    let network_idle = c.duration("browser.network_idle", b.network_idle, "5s");
    if network_idle >= page_timeout {
        c.bad(
            "browser.network_idle",
            &humantime::format_duration(network_idle).to_string(),
            "a duration shorter than browser.page_timeout, or every page that never goes quiet would time out",
        );
    }
    BrowserConfig {
        executable,
        tabs: c.int("browser.tabs", b.tabs, 2, 0, MAX_TABS) as usize,
        page_timeout,
        network_idle,
        wait_for,
        restart_after: c.int("browser.restart_after", b.restart_after, 50, 1, 100_000) as u32,
        idle_close: c.positive_duration("browser.idle_close", b.idle_close, "2m"),
        min_available_memory: c.size(
            "browser.min_available_memory",
            b.min_available_memory,
            "1GiB",
        ),
        no_sandbox: b.no_sandbox.unwrap_or(false),
    }
}
