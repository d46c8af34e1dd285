//! The headless browser: Debian's `chromium` driven over the DevTools
//! protocol (`chromiumoxide`) for pages built by JavaScript.
//!
//! Invariants:
//! - Chromium is launched on first use, never while less than
//!   `browser.min_available_memory` is available, with a fresh profile
//!   directory that is removed when it closes;
//! - at most `browser.tabs` pages render at once, fewer when the resource
//!   controller's tab gate says so (at zero, a render is refused as held
//!   back, and the idle browser is closed); each page has
//!   `browser.page_timeout` from navigation to HTML;
//! - a browser that crashed is launched again for the next page; one that
//!   rendered `browser.restart_after` pages is restarted once no other page
//!   is rendering, and one unused for `browser.idle_close` is closed;
//! - Chromium a killed predecessor left running is ended at start, and its
//!   profile removed (`orphans.rs`);
//! - every request the page makes passes the address policy (the page's
//!   scripts cannot reach a private address the appliance may not), and
//!   images, fonts and media are never downloaded (`page.rs`).
//!
//! Politeness (robots.txt, pacing, breakers) is applied around a render by
//! `Fetcher::render`, exactly as around an HTTP fetch.

mod launch;
mod orphans;
mod page;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;
use url::Url;

use super::error::{FailureClass, FetchError};
use super::guard::AddressPolicy;
use super::pacing::Answer;
use super::{Fetcher, Page};
use crate::config::BrowserConfig;
use crate::resources::gate::{Gate, Refused};
use launch::Running;
pub use orphans::{Swept, sweep as sweep_orphans};
pub use page::Rendered;

/// How long opening a blank tab may take.
const OPEN_TAB: Duration = Duration::from_secs(15);

/// The browser shared by all workers.
#[derive(Debug)]
pub struct BrowserPool {
    cfg: BrowserConfig,
    policy: Arc<AddressPolicy>,
    tabs: Arc<Gate>,
    state: Mutex<Option<Running>>,
    launches: AtomicU64,
}

impl BrowserPool {
    /// `tabs`: the gate whose limit (at most `browser.tabs`) says how many
    /// pages may render now.
    pub fn new(cfg: &BrowserConfig, policy: Arc<AddressPolicy>, tabs: Arc<Gate>) -> Arc<Self> {
        Arc::new(BrowserPool {
            cfg: cfg.clone(),
            policy,
            tabs,
            state: Mutex::new(None),
            launches: AtomicU64::new(0),
        })
    }

    /// How many times Chromium was launched.
    pub fn launches(&self) -> u64 {
        self.launches.load(Ordering::Relaxed)
    }

    /// Render `url` and return its HTML once the page has settled.
    pub async fn render(
        self: &Arc<Self>,
        url: &Url,
        user_agent: &str,
        max_body: u64,
    ) -> Result<Rendered, FetchError> {
        if self.cfg.tabs == 0 {
            return Err(FetchError::new(
                FailureClass::Other,
                url.as_str(),
                "the page needs the headless browser, which is off (browser.tabs = 0)",
            ));
        }
        let _tab = match self.tabs.acquire_unless_held().await {
            Ok(permit) => permit,
            Err(Refused::Closed) => {
                return Err(FetchError::new(
                    FailureClass::Other,
                    url.as_str(),
                    "the browser is shutting down",
                ));
            }
            Err(Refused::HeldBack) => return Err(FetchError::held_back(url.as_str())),
        };
        let tab = self.open_tab(url).await?;
        let settings = page::Settings {
            policy: &self.policy,
            user_agent,
            max_body,
            network_idle: self.cfg.network_idle,
            wait_for: self.cfg.wait_for.as_deref(),
        };
        let result =
            match tokio::time::timeout(self.cfg.page_timeout, page::render(&tab, url, &settings))
                .await
            {
                Ok(r) => r,
                Err(_) => Err(FetchError::new(
                    FailureClass::Timeout,
                    url.as_str(),
                    format!(
                        "the browser did not finish the page within {} (browser.page_timeout)",
                        humantime::format_duration(self.cfg.page_timeout)
                    ),
                )),
            };
        // A tab left open would keep its scripts running.
        let _ = tokio::time::timeout(OPEN_TAB, tab.close()).await;
        let mut state = self.state.lock().await;
        if let Some(r) = state.as_mut() {
            r.pages += 1;
            r.last_used = Instant::now();
        }
        result
    }

    /// A blank tab in a running browser, launching or restarting it first
    /// when needed.
    async fn open_tab(self: &Arc<Self>, url: &Url) -> Result<chromiumoxide::Page, FetchError> {
        let mut state = self.state.lock().await;
        // This caller holds a tab permit: no other page is rendering.
        let alone = self.tabs.held() == 1;
        let retire = state.as_mut().map(|r| {
            if r.crashed() {
                Some("it crashed")
            } else if r.pages >= self.cfg.restart_after && alone {
                Some("it reached browser.restart_after pages")
            } else {
                None
            }
        });
        if let Some(Some(why)) = retire {
            tracing::info!("restarting the headless browser: {why}");
            if let Some(old) = state.take() {
                old.shutdown().await;
            }
        }
        // A browser that died a moment ago may not look dead yet; a tab it
        // cannot open gets one fresh browser before the page fails.
        let mut second_chance = alone;
        loop {
            if state.is_none() {
                let running = Running::launch(&self.cfg, url).await?;
                self.launches.fetch_add(1, Ordering::Relaxed);
                self.watch_idle(running.generation);
                *state = Some(running);
            }
            let running = state.as_mut().expect("launched above");
            running.last_used = Instant::now();
            let why = match tokio::time::timeout(OPEN_TAB, running.chrome.new_page("about:blank"))
                .await
            {
                Ok(Ok(tab)) => return Ok(tab),
                Ok(Err(e)) => e.to_string(),
                Err(_) => format!("no answer within {}s", OPEN_TAB.as_secs()),
            };
            // Unless another page is rendering in this browser (a real crash
            // is caught anyway), it is replaced.
            if alone && let Some(old) = state.take() {
                tracing::info!("restarting the headless browser: it could not open a tab ({why})");
                old.shutdown().await;
            }
            if !std::mem::take(&mut second_chance) {
                return Err(FetchError::new(
                    FailureClass::Other,
                    url.as_str(),
                    format!("the headless browser could not open a tab: {why}"),
                ));
            }
        }
    }

    /// Close the browser of `generation` once it has been idle for
    /// `browser.idle_close` with no page rendering.
    fn watch_idle(self: &Arc<Self>, generation: u64) {
        let pool = Arc::downgrade(self);
        let idle = self.cfg.idle_close;
        let tick = (idle / 4).clamp(Duration::from_millis(50), Duration::from_secs(10));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(tick).await;
                let Some(pool) = pool.upgrade() else { return };
                let mut state = pool.state.lock().await;
                let Some(r) = state.as_ref().filter(|r| r.generation == generation) else {
                    return;
                };
                let busy = pool.tabs.held() > 0;
                let held_back = pool.tabs.limit() == 0;
                if !busy && (held_back || r.last_used.elapsed() >= idle) {
                    match held_back {
                        true => {
                            tracing::info!("closing the headless browser: no tab is allowed now")
                        }
                        false => tracing::info!(
                            idle = %humantime::format_duration(idle),
                            "closing the idle headless browser"
                        ),
                    }
                    if let Some(old) = state.take() {
                        old.shutdown().await;
                    }
                    return;
                }
            }
        });
    }

    /// Close the browser for good (the appliance is stopping): later
    /// renders fail instead of launching it again.
    pub async fn shutdown(&self) {
        self.tabs.close();
        if let Some(old) = self.state.lock().await.take() {
            old.shutdown().await;
        }
    }
}

impl Fetcher {
    /// Render a page in the headless browser, as politely as
    /// [`Fetcher::fetch`] gets one: address check, breaker, robots.txt, and
    /// the host's turn for the page's main request.
    pub async fn render(&self, url: &Url) -> Result<Page, FetchError> {
        // Refused before the host is asked anything or its breaker hears of it.
        if self.browser_held_back() {
            return Err(FetchError::held_back(url.as_str()));
        }
        self.politely(url, true, || async {
            let host = url.host_str().unwrap_or_default().to_string();
            let user_agent = self
                .identities
                .headers(&host)
                .get(reqwest::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            let mut permit = self.pacer.acquire(&host).await;
            let result = self.browser.render(url, &user_agent, self.max_body).await;
            let pushback = matches!(&result, Err(e) if matches!(e.status, Some(429 | 503)));
            permit.answered(if pushback {
                Answer::Pushback(None)
            } else {
                Answer::Ordinary
            });
            let r = result?;
            Ok(Page {
                url: r.url,
                status: r.status.unwrap_or(200),
                body: r.html.into_bytes(),
                validators: Default::default(),
            })
        })
        .await
    }

    /// Whether the headless browser may be used (`browser.tabs` > 0).
    pub fn browser_enabled(&self) -> bool {
        self.browser.cfg.tabs > 0
    }

    /// Whether the resource controller allows no tab now.
    pub fn browser_held_back(&self) -> bool {
        self.browser_enabled() && self.browser.tabs.limit() == 0
    }

    /// How many times the headless browser was launched.
    pub fn browser_launches(&self) -> u64 {
        self.browser.launches()
    }

    /// Close the headless browser, if it runs; this fetcher renders no more.
    pub async fn close_browser(&self) {
        self.browser.shutdown().await;
    }
}
