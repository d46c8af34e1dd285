//! robots.txt per origin: fetched before the first page, cached, and turned
//! into a verdict for each URL.
//!
//! How the robots.txt answer is read (RFC 9309 §2.3.1):
//! - 2xx: its rules apply (only the first 500 KiB are read);
//! - 4xx other than 429, or more redirects than allowed: no restrictions;
//! - 429, 5xx, or no answer at all (timeout, DNS, connect, TLS, a redirect
//!   into a refused address): the host is unreachable and nothing on it is
//!   fetched until a later fetch succeeds;
//! - a host whose name resolves only to refused addresses: the page is an
//!   `unsafe_target`, as if its address had been written in the URL.
//!
//! A file with rules, or a 4xx, is trusted for `fetch.robots_cache` (24 h);
//! an unreachable host is asked again after at most [`UNREACHABLE_RECHECK`].
//! One fetch per origin at a time: concurrent jobs wait for it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;
use url::Url;

use super::Fetcher;
use super::error::{FailureClass, FetchError};
use super::request::{Limits, Overflow};
use super::robots::{self, Robots};

/// How soon an unreachable robots.txt is asked again.
pub const UNREACHABLE_RECHECK: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub(super) struct RobotsCache {
    origins: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<Entry>>>>>,
}

#[derive(Debug, Clone)]
struct Entry {
    at: Instant,
    file: RobotsFile,
}

#[derive(Debug, Clone)]
enum RobotsFile {
    Rules {
        robots: Arc<Robots>,
        status: u16,
    },
    /// 4xx or too many redirects: no restrictions.
    Unrestricted {
        status: Option<u16>,
    },
    Unreachable {
        status: Option<u16>,
        detail: String,
    },
    /// The host itself is refused by the address policy (a name that
    /// resolves only to non-public addresses).
    Refused {
        detail: String,
    },
}

/// What robots.txt says about one URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RobotsVerdict {
    pub allowed: bool,
    /// The deciding line, as written.
    pub rule: Option<String>,
    /// The robots.txt HTTP status, when it answered.
    pub status: Option<u16>,
    /// Why nothing may be fetched, when robots.txt was unreachable.
    pub unreachable: Option<String>,
    /// Why the host may not be contacted at all (address policy).
    pub refused: Option<String>,
}

impl RobotsVerdict {
    /// The failure a fetch of `url` reports under this verdict (for crawler
    /// `token`); `None` when it may be fetched.
    pub fn refusal(&self, url: &Url, token: &str) -> Option<FetchError> {
        let robots_url = robots_url(url);
        let (class, detail) = if let Some(detail) = &self.refused {
            (FailureClass::UnsafeTarget, detail.clone())
        } else if let Some(detail) = &self.unreachable {
            (
                FailureClass::RobotsUnreachable,
                format!("{robots_url} {detail}; nothing on this host is fetched until it answers"),
            )
        } else if !self.allowed {
            (
                FailureClass::RobotsDenied,
                format!(
                    "{robots_url} forbids it for {token:?} ({})",
                    self.rule.as_deref().unwrap_or("no rule")
                ),
            )
        } else {
            return None;
        };
        Some(FetchError::new(class, url.as_str(), detail))
    }
}

fn origin_of(url: &Url) -> String {
    url.origin().ascii_serialization()
}

impl Fetcher {
    /// robots.txt's verdict on `url`, fetching the file when the cache has
    /// no fresh copy.
    pub async fn robots_verdict(&self, url: &Url) -> RobotsVerdict {
        let origin = origin_of(url);
        let slot = {
            let mut origins = self
                .robots_cache
                .origins
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            origins.entry(origin.clone()).or_default().clone()
        };
        let mut entry = slot.lock().await;
        let fresh = entry.as_ref().is_some_and(|e| {
            let ttl = match e.file {
                RobotsFile::Unreachable { .. } => UNREACHABLE_RECHECK.min(self.robots_ttl),
                _ => self.robots_ttl,
            };
            e.at.elapsed() < ttl
        });
        if !fresh {
            let file = self.fetch_robots(url).await;
            *entry = Some(Entry {
                at: Instant::now(),
                file,
            });
        }
        let file = &entry.as_ref().expect("just filled").file;
        match file {
            RobotsFile::Rules { robots, status } => {
                let d = robots.decide(&self.product_token, &robots::path_of(url));
                RobotsVerdict {
                    allowed: d.allowed,
                    rule: d.rule,
                    status: Some(*status),
                    unreachable: None,
                    refused: None,
                }
            }
            RobotsFile::Unrestricted { status } => RobotsVerdict {
                allowed: true,
                rule: None,
                status: *status,
                unreachable: None,
                refused: None,
            },
            RobotsFile::Unreachable { status, detail } => RobotsVerdict {
                allowed: false,
                rule: None,
                status: *status,
                unreachable: Some(detail.clone()),
                refused: None,
            },
            RobotsFile::Refused { detail } => RobotsVerdict {
                allowed: false,
                rule: None,
                status: None,
                unreachable: None,
                refused: Some(detail.clone()),
            },
        }
    }

    /// The verdict as a fetch gate: `Ok` when `url` may be fetched.
    pub(super) async fn robots_gate(&self, url: &Url) -> Result<RobotsVerdict, FetchError> {
        let v = self.robots_verdict(url).await;
        match v.refusal(url, &self.product_token) {
            Some(e) => Err(e),
            None => Ok(v),
        }
    }

    async fn fetch_robots(&self, url: &Url) -> RobotsFile {
        let target = robots_url(url);
        let limits = Limits {
            max_body: robots::MAX_BYTES as u64,
            overflow: Overflow::Truncate,
        };
        let host = url.host_str().unwrap_or_default().to_string();
        match self.request(&target, limits, None).await {
            Ok(raw) if (200..300).contains(&raw.status) => {
                let robots = Robots::parse(&raw.body);
                self.pacer
                    .set_crawl_delay(&host, robots.crawl_delay(&self.product_token));
                RobotsFile::Rules {
                    robots: Arc::new(robots),
                    status: raw.status,
                }
            }
            Ok(raw) if raw.status == 429 || raw.status >= 500 => RobotsFile::Unreachable {
                status: Some(raw.status),
                detail: format!("answered HTTP {}", raw.status),
            },
            Ok(raw) => RobotsFile::Unrestricted {
                status: Some(raw.status),
            },
            Err(e) if e.class == FailureClass::TooManyRedirects => {
                RobotsFile::Unrestricted { status: None }
            }
            Err(e) if e.class == FailureClass::UnsafeTarget => {
                RobotsFile::Refused { detail: e.detail }
            }
            Err(e) => RobotsFile::Unreachable {
                status: None,
                detail: format!("could not be fetched ({}: {})", e.class, e.detail),
            },
        }
    }
}

fn robots_url(url: &Url) -> Url {
    let mut u = url.clone();
    u.set_path("/robots.txt");
    u.set_query(None);
    u.set_fragment(None);
    u
}
