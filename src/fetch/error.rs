//! Fetch failures: one error type carrying a [`FailureClass`], and the
//! classification of transport errors, statuses and bot walls.

use std::time::Duration;

pub use crate::model::FailureClass;

use super::guard::RefusedTarget;

/// A failed fetch: its class, the URL asked for, and what happened.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{url}: {detail}")]
pub struct FetchError {
    pub class: FailureClass,
    pub url: String,
    pub detail: String,
    /// The HTTP status, when the server answered.
    pub status: Option<u16>,
    /// How long the server (or the host's open circuit) asks us to wait.
    pub retry_after: Option<Duration>,
    /// This failure opened the host's circuit for the given cool-off.
    pub opened_circuit: Option<Duration>,
    /// Not the site's doing: the appliance holds the headless browser back
    /// (memory, heat, laptop mode), so the job should wait, not fail.
    pub held_back: bool,
}

impl FetchError {
    pub fn new(class: FailureClass, url: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            class,
            url: url.into(),
            detail: detail.into(),
            status: None,
            retry_after: None,
            opened_circuit: None,
            held_back: false,
        }
    }

    /// The page needs the headless browser, which resources hold back now.
    pub fn held_back(url: impl Into<String>) -> Self {
        Self {
            held_back: true,
            ..Self::new(
                FailureClass::Other,
                url,
                "the page needs the headless browser, which is held back for now (see the limits in `scoutly status`)",
            )
        }
    }

    pub fn retryable(&self) -> bool {
        self.class.retryable()
    }

    /// Needs a human: the URL is gone or refused, or robots forbids it.
    pub fn needs_attention(&self) -> bool {
        match self.class {
            FailureClass::Http4xx => matches!(self.status, Some(401 | 403 | 404 | 410)),
            FailureClass::RobotsDenied
            | FailureClass::UnsafeTarget
            | FailureClass::UnsafeRedirect
            | FailureClass::TooManyRedirects => true,
            _ => false,
        }
    }
}

/// The class of an HTTP status that is not a success.
pub fn status_class(status: u16) -> FailureClass {
    match status {
        429 => FailureClass::Http429,
        500.. => FailureClass::Http5xx,
        _ => FailureClass::Http4xx,
    }
}

/// Markers of captcha and bot-wall pages (Cloudflare, DataDome, PerimeterX,
/// Imperva, Akamai, reCAPTCHA, hCaptcha), matched case-insensitively.
const WALL_MARKERS: &[&str] = &[
    "cf-chl-",
    "challenge-platform",
    "cf_chl_opt",
    "attention required! | cloudflare",
    "just a moment...",
    "captcha-delivery.com",
    "px-captcha",
    "_incapsula_resource",
    "g-recaptcha",
    "h-captcha",
    "hcaptcha.com/1/api.js",
    "verify you are human",
    "are you a robot",
    "access denied</title>",
];

/// Whether a response is a bot wall rather than the page: a status sites use
/// for walls (403, 429, 503, or a 200 challenge page) and a marker in the
/// first bytes of the body.
pub fn is_bot_wall(status: u16, body: &[u8]) -> bool {
    if !matches!(status, 200 | 202 | 403 | 429 | 503) {
        return false;
    }
    let head = &body[..body.len().min(64 * 1024)];
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let markers = WALL_MARKERS.iter().filter(|m| text.contains(*m)).count();
    // A real careers page may embed one reCAPTCHA for its application form;
    // a 200 counts as a wall only when it is small and says so twice.
    if status == 200 || status == 202 {
        markers >= 2 && body.len() < 32 * 1024
    } else {
        markers >= 1
    }
}

/// Classify a transport error from reqwest.
pub fn from_reqwest(url: &str, e: &reqwest::Error) -> FetchError {
    let detail = error_chain(e);
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    let mut tls = false;
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<RefusedTarget>() {
            return FetchError::new(FailureClass::UnsafeRedirect, url, r.0.clone());
        }
        if s.downcast_ref::<rustls::Error>().is_some() {
            tls = true;
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>()
            && io
                .get_ref()
                .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some())
        {
            tls = true;
        }
        source = s.source();
    }
    let class = if e.is_timeout() {
        FailureClass::Timeout
    } else if tls {
        FailureClass::Tls
    } else if detail.contains("dns error") || detail.contains("failed to lookup address") {
        FailureClass::Dns
    } else if e.is_connect() {
        FailureClass::Connect
    } else {
        FailureClass::Other
    };
    FetchError::new(class, url, detail)
}

pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walls_need_a_wall_status_and_a_marker() {
        let cf = b"<title>Just a moment...</title><div id=cf-chl-widget>";
        assert!(is_bot_wall(403, cf));
        assert!(is_bot_wall(503, cf));
        assert!(is_bot_wall(200, cf));
        assert!(!is_bot_wall(404, cf));
        assert!(!is_bot_wall(403, b"<h1>Forbidden</h1>"));
        let form = format!(
            "<ul><li><a href=/jobs/1>Engineer</a></li></ul><div class=g-recaptcha></div>{}",
            " ".repeat(40_000)
        );
        assert!(!is_bot_wall(200, form.as_bytes()));
    }

    #[test]
    fn statuses_have_classes() {
        assert_eq!(status_class(404), FailureClass::Http4xx);
        assert_eq!(status_class(429), FailureClass::Http429);
        assert_eq!(status_class(503), FailureClass::Http5xx);
    }
}
