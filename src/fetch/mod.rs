//! Getting pages: HTTP with time, size and redirect limits, behind the
//! address guard and per-host pacing.
//!
//! Invariants:
//! - every request has a connect timeout, a total timeout and a body cap
//!   (DESIGN.md invariant 4); a body past the cap is cut off, not buffered;
//! - at most one request per host is in flight, with a randomised courtesy
//!   delay between requests (invariant 5);
//! - a non-public address is never connected to unless allowed by config,
//!   whether it comes from the URL, DNS or a redirect.

pub mod guard;
pub mod pacing;

use std::sync::Arc;

use reqwest::redirect;
use url::Url;

use crate::config::Config;
pub use guard::{AddressPolicy, RefusedTarget};
pub use pacing::HostPacer;

/// A fetched page.
#[derive(Debug, Clone)]
pub struct Page {
    /// Where the content came from, after redirects.
    pub url: Url,
    pub status: u16,
    pub body: Vec<u8>,
}

/// Why a fetch failed; `class()` names the failure for users and metrics.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: refused: {reason}")]
    Refused { url: String, reason: String },
    #[error("{url}: timed out ({detail})")]
    Timeout { url: String, detail: String },
    #[error("{url}: cannot connect: {detail}")]
    Connect { url: String, detail: String },
    #[error("{url}: body larger than the {limit} byte limit (fetch.max_body)")]
    TooLarge { url: String, limit: u64 },
    #[error("{url}: more than {limit} redirects (fetch.max_redirects)")]
    TooManyRedirects { url: String, limit: usize },
    #[error("{url}: HTTP status {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: {detail}")]
    Other { url: String, detail: String },
}

impl FetchError {
    pub fn class(&self) -> &'static str {
        match self {
            Self::Refused { .. } => "refused",
            Self::Timeout { .. } => "timeout",
            Self::Connect { .. } => "connect",
            Self::TooLarge { .. } => "too_large",
            Self::TooManyRedirects { .. } => "redirects",
            Self::Status { .. } => "status",
            Self::Other { .. } => "other",
        }
    }

    /// Worth trying again later: transient network trouble and server-side
    /// errors, not refusals or pages that are gone.
    pub fn retryable(&self) -> bool {
        match self {
            Self::Timeout { .. } | Self::Connect { .. } | Self::Other { .. } => true,
            Self::Status { status, .. } => *status == 429 || *status >= 500,
            Self::Refused { .. } | Self::TooLarge { .. } | Self::TooManyRedirects { .. } => false,
        }
    }

    /// Needs a human: the URL is gone or refused.
    pub fn needs_attention(&self) -> bool {
        match self {
            Self::Status { status, .. } => matches!(status, 404 | 410 | 401 | 403),
            Self::Refused { .. } => true,
            _ => false,
        }
    }
}

/// The HTTP fetcher shared by all workers.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    policy: Arc<AddressPolicy>,
    pacer: Arc<HostPacer>,
    max_body: u64,
    max_redirects: usize,
}

/// Install rustls' crypto provider once per process.
fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Fetcher {
    pub fn new(cfg: &Config) -> Result<Self, FetchError> {
        install_crypto();
        let policy = Arc::new(AddressPolicy {
            allow_private: cfg.fetch.allow_private_targets,
            allowed: cfg.fetch.allowed_private.clone(),
        });
        let max_redirects = cfg.fetch.max_redirects;
        let client = reqwest::Client::builder()
            .user_agent(cfg.user_agent())
            .connect_timeout(cfg.fetch.connect_timeout)
            .timeout(cfg.fetch.timeout)
            // Redirects are followed in `get`, so each hop is checked and paced.
            .redirect(redirect::Policy::none())
            .dns_resolver(guard::GuardedResolver {
                policy: policy.clone(),
            })
            .no_proxy()
            .pool_max_idle_per_host(1)
            .build()
            .map_err(|e| FetchError::Other {
                url: String::new(),
                detail: format!("cannot build the HTTP client: {e}"),
            })?;
        Ok(Self {
            client,
            policy,
            pacer: Arc::new(HostPacer::new(cfg.politeness.delay, cfg.politeness.jitter)),
            max_body: cfg.fetch.max_body,
            max_redirects,
        })
    }

    /// GET a page politely, following up to `fetch.max_redirects` redirects.
    /// Every hop is checked against the address policy and waits its host's
    /// turn. A final status other than 2xx is an error.
    pub async fn get(&self, url: &Url) -> Result<Page, FetchError> {
        let shown = url.to_string();
        let mut current = url.clone();
        let mut hops = 0;
        loop {
            precheck(&self.policy, &current).map_err(|reason| FetchError::Refused {
                url: shown.clone(),
                reason: format!("{current}: {reason}"),
            })?;
            let host = current.host_str().unwrap_or_default().to_string();
            let permit = self.pacer.acquire(&host).await;
            let resp = self
                .client
                .get(current.clone())
                .send()
                .await
                .map_err(|e| self.classify(&shown, e))?;
            if resp.status().is_redirection()
                && let Some(location) = resp.headers().get(reqwest::header::LOCATION)
            {
                hops += 1;
                if hops > self.max_redirects {
                    return Err(FetchError::TooManyRedirects {
                        url: shown,
                        limit: self.max_redirects,
                    });
                }
                current = location
                    .to_str()
                    .ok()
                    .and_then(|l| current.join(l).ok())
                    .ok_or_else(|| FetchError::Other {
                        url: shown.clone(),
                        detail: format!("redirect from {current} to an invalid location"),
                    })?;
                drop(permit);
                continue;
            }
            let page = self.read_body(&shown, resp, current).await;
            drop(permit);
            return page;
        }
    }

    async fn read_body(
        &self,
        shown: &str,
        mut resp: reqwest::Response,
        url: Url,
    ) -> Result<Page, FetchError> {
        let status = resp.status().as_u16();
        if !resp.status().is_success() {
            return Err(FetchError::Status {
                url: shown.to_string(),
                status,
            });
        }
        let too_large = || FetchError::TooLarge {
            url: shown.to_string(),
            limit: self.max_body,
        };
        if resp.content_length().is_some_and(|n| n > self.max_body) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.classify(shown, e))? {
            if body.len() as u64 + chunk.len() as u64 > self.max_body {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Page { url, status, body })
    }

    fn classify(&self, url: &str, e: reqwest::Error) -> FetchError {
        let url = url.to_string();
        let mut source: Option<&dyn std::error::Error> = Some(&e);
        while let Some(s) = source {
            if let Some(r) = s.downcast_ref::<RefusedTarget>() {
                return FetchError::Refused {
                    url,
                    reason: r.0.clone(),
                };
            }
            source = s.source();
        }
        let detail = error_chain(&e);
        if e.is_timeout() {
            FetchError::Timeout { url, detail }
        } else if e.is_connect() {
            FetchError::Connect { url, detail }
        } else {
            FetchError::Other { url, detail }
        }
    }
}

/// Refuse non-web schemes and IP-literal hosts the policy forbids (names are
/// checked by the resolver).
fn precheck(policy: &AddressPolicy, url: &Url) -> Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("scheme {:?} is not http or https", url.scheme()));
    }
    let port = url.port_or_known_default().unwrap_or(0);
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => std::net::IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => std::net::IpAddr::V6(ip),
        Some(url::Host::Domain(_)) => return Ok(()),
        None => return Err("URL has no host".into()),
    };
    if policy.permits(std::net::SocketAddr::new(ip, port)) {
        Ok(())
    } else {
        Err(format!(
            "{ip} is not a public address; set fetch.allow_private_targets = true to allow it"
        ))
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
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
