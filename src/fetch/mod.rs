//! Getting pages politely: HTTP with time, size and redirect limits, behind
//! the address guard, robots.txt, per-host pacing and circuit breakers.
//!
//! Invariants:
//! - every request has a connect timeout, a total timeout and a body cap
//!   (DESIGN.md invariant 4); a body past the cap is cut off, not buffered;
//! - at most one request per host is in flight, with a randomised courtesy
//!   delay between requests (invariant 5), stretched by `Crawl-delay`,
//!   `Retry-After` and repeated pushback;
//! - no page is requested before its host's robots.txt has been read, nor
//!   when it forbids the page for our product token, nor while robots.txt is
//!   unreachable (documented job-board APIs excepted, see [`boards`]; a
//!   rendered page's own subresources load as in a browser, see `browser`);
//! - a non-public address is never connected to unless allowed by config,
//!   whether it comes from the URL, DNS or a redirect;
//! - every failure carries a [`FailureClass`].

pub mod boards;
pub mod breaker;
mod browser;
mod error;
pub mod guard;
mod identity;
pub mod pacing;
mod request;
pub mod robots;
mod robots_cache;

use std::sync::Arc;
use std::time::Duration;

use reqwest::header;
use reqwest::redirect;
use url::Url;

use crate::config::Config;
use crate::model::PageCache;
use crate::resources::gate::Gate;
use boards::BoardApis;
use breaker::Breakers;
use browser::BrowserPool;
pub use browser::{Swept, sweep_orphans};
pub use error::{FailureClass, FetchError, error_chain, is_bot_wall};
pub use guard::{AddressPolicy, RefusedTarget};
use identity::Identities;
pub use pacing::HostPacer;
pub use robots_cache::RobotsVerdict;

use request::{Limits, Overflow};

/// A fetched page.
#[derive(Debug, Clone)]
pub struct Page {
    /// Where the content came from, after redirects.
    pub url: Url,
    pub status: u16,
    pub body: Vec<u8>,
    /// Validators to send with the next request for this page (`next` is
    /// left for the caller, who knows the pagination).
    pub validators: PageCache,
}

/// What a fetch found.
#[derive(Debug, Clone)]
// One per request, moved once: boxing the page would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Fetched {
    Page(Page),
    /// `304 Not Modified`: the page is as it was when its validators were
    /// stored.
    NotModified,
}

/// The HTTP fetcher shared by all workers.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    policy: Arc<AddressPolicy>,
    pacer: Arc<HostPacer>,
    breakers: Arc<Breakers>,
    identities: Arc<Identities>,
    robots_cache: Arc<robots_cache::RobotsCache>,
    boards: Arc<BoardApis>,
    browser: Arc<BrowserPool>,
    robots_ttl: Duration,
    product_token: String,
    max_body: u64,
    max_redirects: usize,
}

impl Fetcher {
    /// A fetcher whose browser may always use `browser.tabs` tabs.
    pub fn new(cfg: &Config) -> Result<Self, FetchError> {
        Self::with_tabs(cfg, Gate::new(cfg.browser.tabs))
    }

    /// A fetcher whose browser takes its tabs from `tabs`, the gate the
    /// resource controller sets.
    pub fn with_tabs(cfg: &Config, tabs: Arc<Gate>) -> Result<Self, FetchError> {
        crate::outbound::install_crypto();
        let policy = Arc::new(AddressPolicy {
            allow_private: cfg.fetch.allow_private_targets,
            allowed: cfg.fetch.allowed_private.clone(),
        });
        let client = reqwest::Client::builder()
            .connect_timeout(cfg.fetch.connect_timeout)
            .timeout(cfg.fetch.timeout)
            // Redirects are followed in `request`, so each hop is checked and paced.
            .redirect(redirect::Policy::none())
            .dns_resolver(guard::GuardedResolver {
                policy: policy.clone(),
            })
            .no_proxy()
            .pool_max_idle_per_host(1)
            .build()
            .map_err(|e| {
                FetchError::new(
                    FailureClass::Other,
                    "fetcher",
                    crate::outbound::build_error(&e),
                )
            })?;
        let browser_policy = policy.clone();
        Ok(Self {
            client,
            policy,
            pacer: Arc::new(HostPacer::new(&cfg.politeness)),
            breakers: Arc::new(Breakers::new(&cfg.breaker)),
            identities: Arc::new(Identities::new(&cfg.user_agent(), &cfg.fetch.identities)),
            robots_cache: Arc::default(),
            boards: Arc::new(BoardApis::new(&cfg.fetch.job_boards)),
            browser: BrowserPool::new(&cfg.browser, browser_policy, tabs),
            robots_ttl: cfg.fetch.robots_cache,
            product_token: cfg.fetch.product_token.clone(),
            max_body: cfg.fetch.max_body,
            max_redirects: cfg.fetch.max_redirects,
        })
    }

    /// GET a page; any answer but a 2xx page is an error.
    pub async fn get(&self, url: &Url) -> Result<Page, FetchError> {
        page_only(url, self.fetch(url, None).await?)
    }

    /// GET a page politely: the host's circuit must be closed and robots.txt
    /// must allow it; `cached` makes the request conditional.
    pub async fn fetch(
        &self,
        url: &Url,
        cached: Option<&PageCache>,
    ) -> Result<Fetched, FetchError> {
        self.fetch_with(url, cached, true, self.max_body).await
    }

    /// GET a job board's API document: like [`Fetcher::fetch`] without
    /// robots.txt (see [`boards`]) and with room for a listing that carries
    /// every posting's description.
    pub(crate) async fn fetch_api(&self, url: &Url) -> Result<Page, FetchError> {
        let max_body = self.max_body.saturating_mul(4);
        page_only(url, self.fetch_with(url, None, false, max_body).await?)
    }

    async fn fetch_with(
        &self,
        url: &Url,
        cached: Option<&PageCache>,
        robots: bool,
        max_body: u64,
    ) -> Result<Fetched, FetchError> {
        let limits = Limits {
            max_body,
            overflow: Overflow::Fail,
        };
        self.politely(url, robots, || async {
            self.request(url, limits, cached)
                .await
                .and_then(|raw| answer(url, raw, cached.is_some()))
        })
        .await
    }

    /// Run `op` for `url` behind the address check, the host's breaker and
    /// (when `robots`) robots.txt; record its outcome with the breaker, and
    /// move the host to its next identity after a bot wall.
    async fn politely<T, F, Fut>(&self, url: &Url, robots: bool, op: F) -> Result<T, FetchError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, FetchError>>,
    {
        // A refused target is reported as such, not as an unreachable robots.txt.
        request::precheck(&self.policy, url, url.as_str(), FailureClass::UnsafeTarget)?;
        let host = url.host_str().unwrap_or_default().to_string();
        if let Err(open) = self.breakers.admit(&host) {
            let mut e = FetchError::new(
                FailureClass::CircuitOpen,
                url.as_str(),
                format!(
                    "{host} failed repeatedly; its circuit is open for another {} (breaker.*)",
                    humantime::format_duration(Duration::from_secs(open.retry_in.as_secs()))
                ),
            );
            e.retry_after = Some(open.retry_in);
            return Err(e);
        }
        if robots {
            self.robots_gate(url).await?;
        }
        let result = op().await;
        let failure = result.as_ref().err().map(|e| e.class);
        if failure == Some(FailureClass::Blocked) {
            self.identities.switch(&host);
        }
        match self.breakers.record(&host, failure) {
            breaker::Opened::For(cool_off) => result.map_err(|mut e| {
                e.opened_circuit = Some(cool_off);
                e
            }),
            breaker::Opened::No => result,
        }
    }

    /// Forget `url`'s host failures (the operator resumed its company).
    pub fn reset_host(&self, url: &Url) {
        if let Some(host) = url.host_str() {
            self.breakers.reset(host);
        }
    }

    /// Hosts whose circuit is open now.
    pub fn open_circuits(&self) -> usize {
        self.breakers.open_count()
    }

    /// The product token robots.txt is matched against.
    pub fn product_token(&self) -> &str {
        &self.product_token
    }
}

fn page_only(url: &Url, fetched: Fetched) -> Result<Page, FetchError> {
    match fetched {
        Fetched::Page(p) => Ok(p),
        Fetched::NotModified => Err(FetchError::new(
            FailureClass::Other,
            url.as_str(),
            "304 Not Modified to an unconditional request",
        )),
    }
}

/// Turn a server's answer into a page, "not modified", or a classified
/// failure (a bot wall whatever its status).
fn answer(url: &Url, raw: request::Raw, conditional: bool) -> Result<Fetched, FetchError> {
    let s = raw.status;
    if s == 304 && conditional {
        return Ok(Fetched::NotModified);
    }
    let wall = is_bot_wall(s, &raw.body);
    if (200..300).contains(&s) && !wall {
        return Ok(Fetched::Page(page_of(raw)));
    }
    let (class, detail) = if wall {
        (
            FailureClass::Blocked,
            format!("HTTP {s} with a captcha or bot-wall page"),
        )
    } else {
        (error::status_class(s), format!("HTTP status {s}"))
    };
    let mut e = FetchError::new(class, url.as_str(), detail);
    e.status = Some(s);
    e.retry_after = request::retry_after(&raw.headers);
    Err(e)
}

fn page_of(raw: request::Raw) -> Page {
    let text = |name: header::HeaderName| {
        raw.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    };
    let validators = PageCache {
        etag: text(header::ETAG),
        last_modified: text(header::LAST_MODIFIED),
        ..PageCache::default()
    };
    Page {
        url: raw.url,
        status: raw.status,
        body: raw.body,
        validators,
    }
}
