//! HTTP clients for the services the operator configured (the AI API,
//! notification sinks): TLS set-up, time limits, and answers read within a
//! byte limit. Scraping has its own client in `fetch`, with the address
//! guard and politeness these trusted destinations do not need.

use std::time::Duration;

/// Install rustls' crypto provider once per process.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A client whose every request ends within `timeout`.
pub fn client(timeout: Duration) -> Result<reqwest::Client, String> {
    install_crypto();
    reqwest::Client::builder()
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .timeout(timeout)
        .user_agent(concat!("Scoutly/", env!("CARGO_PKG_VERSION")))
        .no_proxy()
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))
}

/// Read an answer's body, refusing one longer than `max` bytes.
pub async fn read_body(mut resp: reqwest::Response, max: usize) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| format!("reading the answer failed: {e}"))?
    {
        if body.len() + chunk.len() > max {
            return Err(format!("the answer is longer than {max} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Parse a `Retry-After` value: delay-seconds or an HTTP-date (relative to
/// `now`). A date in the past means no wait.
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (at.with_timezone(&chrono::Utc) - now)
            .to_std()
            .unwrap_or_default(),
    )
}
