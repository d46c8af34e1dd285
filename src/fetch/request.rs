//! One request with everything around it: the address check and the host's
//! turn for every redirect hop, the host's identity headers, conditional
//! headers, and a body read within its byte limit.

use reqwest::header::{self, HeaderMap};
use url::Url;

use super::error::{self, FailureClass, FetchError};
use super::pacing::Answer;
use super::{Fetcher, guard::AddressPolicy};
use crate::model::PageCache;

/// What to do with a body past the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Overflow {
    /// Fail with `too_large`.
    Fail,
    /// Keep the first `limit` bytes (robots.txt: only that much is read).
    Truncate,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    pub max_body: u64,
    pub overflow: Overflow,
}

/// A server's answer, whatever its status.
#[derive(Debug)]
pub(super) struct Raw {
    pub url: Url,
    pub status: u16,
    pub headers: HeaderMap,
    /// The body (for an error status, only its first 64 KiB, enough to
    /// recognise a bot wall).
    pub body: Vec<u8>,
}

/// How much of an error page is read.
const ERROR_BODY: u64 = 64 * 1024;

impl Fetcher {
    /// GET `url`, following redirects up to the configured limit.
    pub(super) async fn request(
        &self,
        url: &Url,
        limits: Limits,
        cached: Option<&PageCache>,
    ) -> Result<Raw, FetchError> {
        let shown = url.to_string();
        let mut current = url.clone();
        let mut hops = 0;
        loop {
            let unsafe_class = if hops == 0 {
                FailureClass::UnsafeTarget
            } else {
                FailureClass::UnsafeRedirect
            };
            precheck(&self.policy, &current, &shown, unsafe_class)?;
            let host = current.host_str().unwrap_or_default().to_string();
            let mut permit = self.pacer.acquire(&host).await;
            let mut req = self
                .client
                .get(current.clone())
                .headers(self.identities.headers(&host).clone());
            if let Some(c) = cached {
                if let Some(etag) = &c.etag {
                    req = req.header(header::IF_NONE_MATCH, etag);
                }
                if let Some(lm) = &c.last_modified {
                    req = req.header(header::IF_MODIFIED_SINCE, lm);
                }
            }
            let asked = std::time::Instant::now();
            let sent = req.send().await;
            crate::metrics::fetch_latency(asked.elapsed());
            let resp = sent.map_err(|e| {
                let mut err = error::from_reqwest(&shown, &e);
                if err.class == FailureClass::UnsafeRedirect {
                    err.class = unsafe_class;
                }
                err
            })?;
            let status = resp.status().as_u16();
            if resp.status().is_redirection()
                && let Some(location) = resp.headers().get(header::LOCATION)
            {
                hops += 1;
                if hops > self.max_redirects {
                    return Err(FetchError::new(
                        FailureClass::TooManyRedirects,
                        &shown,
                        format!(
                            "more than {} redirects (fetch.max_redirects)",
                            self.max_redirects
                        ),
                    ));
                }
                let next = location.to_str().ok().and_then(|l| current.join(l).ok());
                current = next.ok_or_else(|| {
                    FetchError::new(
                        FailureClass::Other,
                        &shown,
                        format!("redirect from {current} to an invalid location"),
                    )
                })?;
                continue;
            }
            let headers = resp.headers().clone();
            if matches!(status, 429 | 503) {
                permit.answered(Answer::Pushback(retry_after(&headers)));
            }
            let success = resp.status().is_success();
            let limits = if success {
                limits
            } else {
                Limits {
                    max_body: ERROR_BODY.min(limits.max_body),
                    overflow: Overflow::Truncate,
                }
            };
            let body = self.read_body(&shown, resp, limits).await?;
            drop(permit);
            return Ok(Raw {
                url: current,
                status,
                headers,
                body,
            });
        }
    }

    async fn read_body(
        &self,
        shown: &str,
        mut resp: reqwest::Response,
        limits: Limits,
    ) -> Result<Vec<u8>, FetchError> {
        let too_large = || {
            FetchError::new(
                FailureClass::TooLarge,
                shown,
                format!(
                    "body larger than the {} byte limit (fetch.max_body)",
                    limits.max_body
                ),
            )
        };
        let fail = limits.overflow == Overflow::Fail;
        if fail && resp.content_length().is_some_and(|n| n > limits.max_body) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| error::from_reqwest(shown, &e))?
        {
            let room = limits.max_body as usize - body.len();
            if chunk.len() > room {
                if fail {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk[..room]);
                break;
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// The `Retry-After` of an answer, when it has a valid one.
pub(super) fn retry_after(headers: &HeaderMap) -> Option<std::time::Duration> {
    let v = headers.get(header::RETRY_AFTER)?.to_str().ok()?;
    super::pacing::parse_retry_after(v, chrono::Utc::now())
}

/// Refuse non-web schemes and IP-literal hosts the policy forbids (names are
/// checked by the resolver), as a failure of class `class` for `shown`.
pub(super) fn precheck(
    policy: &AddressPolicy,
    url: &Url,
    shown: &str,
    class: FailureClass,
) -> Result<(), FetchError> {
    let refuse = |reason: String| Err(FetchError::new(class, shown, format!("{url}: {reason}")));
    if !matches!(url.scheme(), "http" | "https") {
        return refuse(format!("scheme {:?} is not http or https", url.scheme()));
    }
    let port = url.port_or_known_default().unwrap_or(0);
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => std::net::IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => std::net::IpAddr::V6(ip),
        Some(url::Host::Domain(_)) => return Ok(()),
        None => return refuse("URL has no host".into()),
    };
    if policy.permits(std::net::SocketAddr::new(ip, port)) {
        Ok(())
    } else {
        refuse(format!(
            "{ip} is not a public address; set fetch.allow_private_targets = true to allow it"
        ))
    }
}
