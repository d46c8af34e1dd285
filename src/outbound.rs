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
        .map_err(|e| build_error(&e))
}

/// Why a reqwest client could not be built, with the whole error chain. The
/// usual cause on a minimal system is that the TLS verifier finds no CA
/// certificates, which says nothing at the top of the chain.
pub fn build_error(e: &reqwest::Error) -> String {
    format!(
        "cannot build an HTTP client: {}; HTTPS needs the system's CA certificates (on Debian: apt install ca-certificates)",
        crate::fetch::error_chain(e)
    )
}

/// An answer: its status, the `Retry-After` it asked for, and its body.
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<Duration>,
    pub body: Result<Vec<u8>, String>,
}

/// Send `req`; the body is read up to `max` bytes (a longer or broken body
/// is `Err` in [`Answer::body`], the status still known). `Err` when no
/// answer came.
pub async fn send(req: reqwest::RequestBuilder, max: usize) -> Result<Answer, reqwest::Error> {
    let resp = req.send().await?;
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
    Ok(Answer {
        status,
        retry_after,
        body: read_body(resp, max).await,
    })
}

/// Read an answer's body, refusing one longer than `max` bytes.
async fn read_body(mut resp: reqwest::Response, max: usize) -> Result<Vec<u8>, String> {
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
