//! Rendering one page in a tab: every request the page makes is checked
//! against the address policy and images, fonts and media are refused
//! (`Fetch` domain interception); the main document's status is read from
//! its response; the page is given until network idle (or a selector) to
//! settle; its HTML is read within the body limit.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chromiumoxide::Page as Tab;
use chromiumoxide::cdp::browser_protocol::fetch::{
    self as cdp_fetch, ContinueRequestParams, EventRequestPaused, FailRequestParams,
    RequestPattern, RequestStage,
};
use chromiumoxide::cdp::browser_protocol::network::{
    ErrorReason, EventResponseReceived, ResourceType,
};
use chromiumoxide::cdp::browser_protocol::page::{EventLifecycleEvent, NavigateParams};
use futures::StreamExt;
use url::Url;

use super::super::error::{self, FailureClass, FetchError};
use super::super::guard::AddressPolicy;

/// A rendered page.
#[derive(Debug)]
pub struct Rendered {
    /// Where the page ended up, after redirects.
    pub url: Url,
    /// The main document's HTTP status, when it had one.
    pub status: Option<u16>,
    pub html: String,
}

pub(super) struct Settings<'a> {
    pub policy: &'a Arc<AddressPolicy>,
    pub user_agent: &'a str,
    pub max_body: u64,
    pub network_idle: Duration,
    pub wait_for: Option<&'a str>,
}

/// How long a host name lookup for the address check may take.
const LOOKUP: Duration = Duration::from_secs(5);

pub(super) async fn render(tab: &Tab, url: &Url, s: &Settings<'_>) -> Result<Rendered, FetchError> {
    let shown = url.as_str();
    let cdp = |what: &str, e| cdp_error(shown, what, e);
    tab.set_user_agent(s.user_agent)
        .await
        .map_err(|e| cdp("set the user agent", e))?;
    let refused = Arc::new(Mutex::new(None::<String>));
    // Aborted when dropped, also when the page timeout drops this future.
    let _guard = AbortOnDrop(
        intercept(tab, s.policy.clone(), refused.clone())
            .await
            .map_err(|e| cdp("intercept requests", e))?,
    );
    navigate(tab, url, s, &refused).await
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn navigate(
    tab: &Tab,
    url: &Url,
    s: &Settings<'_>,
    refused: &Mutex<Option<String>>,
) -> Result<Rendered, FetchError> {
    let shown = url.as_str();
    let cdp = |what: &str, e| cdp_error(shown, what, e);
    // Listen before navigating: the events are buffered until read.
    let mut responses = tab
        .event_listener::<EventResponseReceived>()
        .await
        .map_err(|e| cdp("listen for responses", e))?;
    let mut lifecycle = tab
        .event_listener::<EventLifecycleEvent>()
        .await
        .map_err(|e| cdp("listen for page events", e))?;
    let mut exceptions = tab
        .event_listener::<chromiumoxide::cdp::js_protocol::runtime::EventExceptionThrown>()
        .await
        .map_err(|e| cdp("listen for script errors", e))?;
    let nav = tab
        .execute(NavigateParams::new(url.as_str()))
        .await
        .map_err(|e| cdp("navigate", e))?
        .result;
    if let Some(text) = nav.error_text {
        let refused = refused.lock().unwrap().clone();
        return Err(navigation_error(url, &text, refused));
    }
    let loader = nav.loader_id.map(|l| l.inner().clone());
    let mut status = None;
    if let Some(loader) = &loader {
        // Responses arrive before `load`, so they are already buffered.
        let deadline = tokio::time::Instant::now() + Duration::from_millis(500);
        while let Ok(Some(ev)) = tokio::time::timeout_at(deadline, responses.next()).await {
            if ev.r#type == ResourceType::Document && ev.request_id.inner() == loader {
                status = u16::try_from(ev.response.status).ok();
                break;
            }
        }
    }
    drop(responses);
    settle(tab, loader.as_deref(), &mut lifecycle, s).await;
    drop(lifecycle);
    while let Ok(Some(ev)) = tokio::time::timeout(Duration::ZERO, exceptions.next()).await {
        let d = &ev.exception_details;
        let what = d
            .exception
            .as_ref()
            .and_then(|e| e.description.clone())
            .unwrap_or_else(|| d.text.clone());
        tracing::debug!(url = ?d.url, line = d.line_number, error = %what, "script error on the page");
    }
    drop(exceptions);
    let html = tab.content().await.map_err(|e| cdp("read the page", e))?;
    tracing::debug!(url = %url, bytes = html.len(), status, loader = ?loader, "page rendered");
    if html.len() as u64 > s.max_body {
        return Err(FetchError::new(
            FailureClass::TooLarge,
            shown,
            format!(
                "the rendered page has {} bytes, more than fetch.max_body ({})",
                html.len(),
                s.max_body
            ),
        ));
    }
    let url = tab
        .url()
        .await
        .ok()
        .flatten()
        .and_then(|u| Url::parse(&u).ok())
        .unwrap_or_else(|| url.clone());
    if let Some(code) = status {
        let wall = error::is_bot_wall(code, html.as_bytes());
        if wall || !(200..300).contains(&code) {
            let (class, detail) = if wall {
                (
                    FailureClass::Blocked,
                    format!("HTTP {code} with a captcha or bot-wall page"),
                )
            } else {
                (error::status_class(code), format!("HTTP status {code}"))
            };
            let mut e = FetchError::new(class, shown, detail);
            e.status = Some(code);
            return Err(e);
        }
    }
    Ok(Rendered { url, status, html })
}

fn cdp_error(url: &str, what: &str, e: chromiumoxide::error::CdpError) -> FetchError {
    FetchError::new(
        FailureClass::Other,
        url,
        format!("the headless browser failed to {what}: {e}"),
    )
}

/// Wait for the configured selector, or for network idle, up to
/// `network_idle`; a page that never settles is read as it is then.
async fn settle(
    tab: &Tab,
    loader: Option<&str>,
    lifecycle: &mut chromiumoxide::listeners::EventStream<EventLifecycleEvent>,
    s: &Settings<'_>,
) {
    let deadline = tokio::time::Instant::now() + s.network_idle;
    if let Some(sel) = s.wait_for {
        let js = format!(
            "document.querySelector({}) !== null",
            serde_json::to_string(sel).unwrap_or_default()
        );
        loop {
            let found = tab
                .evaluate(js.as_str())
                .await
                .ok()
                .and_then(|r| r.into_value::<bool>().ok())
                .unwrap_or(false);
            if found || tokio::time::Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // Without the navigation's loader id, the document is the one whose
    // `init` comes first: the blank tab's own events came before we listened.
    let mut loader = loader.map(String::from);
    let _ = tokio::time::timeout_at(deadline, async {
        while let Some(ev) = lifecycle.next().await {
            let id = ev.loader_id.inner();
            match &loader {
                None if ev.name == "init" => loader = Some(id.clone()),
                Some(l) if ev.name == "networkIdle" && id == l => return,
                _ => {}
            }
        }
    })
    .await;
}

/// Pause every request of the tab and answer it: images, fonts and media
/// are refused, so is any address the policy forbids; the rest continue.
/// The returned task ends with the tab.
async fn intercept(
    tab: &Tab,
    policy: Arc<AddressPolicy>,
    refused: Arc<Mutex<Option<String>>>,
) -> chromiumoxide::Result<tokio::task::JoinHandle<()>> {
    let mut paused = tab.event_listener::<EventRequestPaused>().await?;
    let tab2 = tab.clone();
    let task = tokio::spawn(async move {
        let mut verdicts: HashMap<String, Result<(), String>> = HashMap::new();
        while let Some(ev) = paused.next().await {
            let heavy = matches!(
                ev.resource_type,
                ResourceType::Image | ResourceType::Font | ResourceType::Media
            );
            let verdict = if heavy {
                Err(String::new())
            } else {
                allowed(&policy, &ev.request.url, &mut verdicts).await
            };
            let answer = match verdict {
                Ok(()) => tab2
                    .execute(ContinueRequestParams::new(ev.request_id.clone()))
                    .await
                    .map(drop),
                Err(why) => {
                    if !why.is_empty() {
                        tracing::info!(url = %ev.request.url, %why, "the page's request was refused");
                        if ev.resource_type == ResourceType::Document {
                            *refused.lock().unwrap() = Some(format!("{}: {why}", ev.request.url));
                        }
                    }
                    tab2.execute(FailRequestParams::new(
                        ev.request_id.clone(),
                        ErrorReason::BlockedByClient,
                    ))
                    .await
                    .map(drop)
                }
            };
            if let Err(e) = answer {
                tracing::debug!(error = %e, "answering a paused request failed");
            }
        }
    });
    let all = RequestPattern::builder()
        .url_pattern("*")
        .request_stage(RequestStage::Request)
        .build();
    tab.execute(cdp_fetch::EnableParams::builder().pattern(all).build())
        .await?;
    Ok(task)
}

/// Whether the page may request `url`: http(s) to hosts all of whose
/// addresses the policy permits, and in-page data. The verdict per host is
/// remembered for the page.
///
/// Limits: Chromium resolves names again itself, so a name that changes its
/// answer between the two lookups (DNS rebinding) is not caught, and
/// WebSocket handshakes are not paused by the `Fetch` domain at all.
async fn allowed(
    policy: &AddressPolicy,
    url: &str,
    verdicts: &mut HashMap<String, Result<(), String>>,
) -> Result<(), String> {
    let Ok(u) = Url::parse(url) else {
        return Err(format!("{url:?} is not a URL"));
    };
    match u.scheme() {
        "http" | "https" => {}
        "data" | "blob" => return Ok(()),
        other => return Err(format!("scheme {other:?} is not fetched")),
    }
    let port = u.port_or_known_default().unwrap_or(80);
    let key = format!("{}:{port}", u.host_str().unwrap_or_default());
    if let Some(v) = verdicts.get(&key) {
        return v.clone();
    }
    let addrs: Vec<SocketAddr> = match u.host() {
        Some(url::Host::Ipv4(ip)) => vec![SocketAddr::new(ip.into(), port)],
        Some(url::Host::Ipv6(ip)) => vec![SocketAddr::new(ip.into(), port)],
        Some(url::Host::Domain(d)) => {
            match tokio::time::timeout(LOOKUP, tokio::net::lookup_host((d, port))).await {
                Ok(Ok(found)) => found.collect(),
                // What cannot be checked is not fetched.
                _ => Vec::new(),
            }
        }
        None => return Err("no host".into()),
    };
    // Every address must be allowed: Chromium may connect to any of them.
    let v = match addrs.iter().find(|a| !policy.permits(**a)) {
        _ if addrs.is_empty() => Err(format!("{key} could not be resolved to check it")),
        Some(a) => Err(format!(
            "{} is not a public address; set fetch.allow_private_targets = true to allow it",
            a.ip()
        )),
        None => Ok(()),
    };
    verdicts.insert(key, v.clone());
    v
}

/// A failed navigation's `net::ERR_*` text as a failure class.
fn navigation_error(url: &Url, text: &str, refused: Option<String>) -> FetchError {
    let class = match text {
        t if t.contains("ERR_BLOCKED_BY_CLIENT") => match &refused {
            Some(r) if r.starts_with(url.as_str()) => FailureClass::UnsafeTarget,
            Some(_) => FailureClass::UnsafeRedirect,
            None => FailureClass::Other,
        },
        t if t.contains("NAME_NOT_RESOLVED") || t.contains("NAME_RESOLUTION") => FailureClass::Dns,
        t if t.contains("TIMED_OUT") => FailureClass::Timeout,
        t if t.contains("CERT") || t.contains("SSL") => FailureClass::Tls,
        t if t.contains("TOO_MANY_REDIRECTS") => FailureClass::TooManyRedirects,
        t if t.contains("CONNECTION") || t.contains("ADDRESS_UNREACHABLE") => FailureClass::Connect,
        _ => FailureClass::Other,
    };
    let detail = match refused {
        Some(r) => format!("the browser refused {r}"),
        None => format!("the browser could not load the page: {text}"),
    };
    FetchError::new(class, url.as_str(), detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn navigation_errors_are_classified_like_http_ones() {
        let u = Url::parse("http://a.example/careers").unwrap();
        let class = |t: &str| navigation_error(&u, t, None).class;
        assert_eq!(class("net::ERR_NAME_NOT_RESOLVED"), FailureClass::Dns);
        assert_eq!(class("net::ERR_CONNECTION_REFUSED"), FailureClass::Connect);
        assert_eq!(
            class("net::ERR_CONNECTION_TIMED_OUT"),
            FailureClass::Timeout
        );
        assert_eq!(class("net::ERR_CERT_AUTHORITY_INVALID"), FailureClass::Tls);
        assert_eq!(
            class("net::ERR_TOO_MANY_REDIRECTS"),
            FailureClass::TooManyRedirects
        );
        assert_eq!(class("net::ERR_ABORTED"), FailureClass::Other);
        let to = |r: &str| navigation_error(&u, "net::ERR_BLOCKED_BY_CLIENT", Some(r.into())).class;
        assert_eq!(
            to("http://a.example/careers: 10.0.0.1"),
            FailureClass::UnsafeTarget
        );
        assert_eq!(
            to("http://10.0.0.1/admin: 10.0.0.1"),
            FailureClass::UnsafeRedirect
        );
    }

    #[tokio::test]
    async fn page_requests_pass_the_address_policy() {
        let strict = AddressPolicy {
            allow_private: false,
            allowed: vec![],
        };
        let mut v = HashMap::new();
        assert!(
            allowed(&strict, "http://127.0.0.1:8080/x.js", &mut v)
                .await
                .is_err()
        );
        assert!(allowed(&strict, "http://[::1]/", &mut v).await.is_err());
        assert!(allowed(&strict, "http://localhost/", &mut v).await.is_err());
        assert!(
            allowed(&strict, "file:///etc/passwd", &mut v)
                .await
                .is_err()
        );
        assert!(allowed(&strict, "data:text/plain,hi", &mut v).await.is_ok());
        assert!(
            allowed(&strict, "http://93.184.215.14/", &mut v)
                .await
                .is_ok()
        );
        let open = AddressPolicy {
            allow_private: true,
            allowed: vec![],
        };
        assert!(
            allowed(&open, "http://127.0.0.1:8080/x.js", &mut HashMap::new())
                .await
                .is_ok()
        );
    }
}
