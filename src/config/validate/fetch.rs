//! `[fetch]`, `[politeness]`, `[breaker]` and `[quarantine]`: how pages are
//! fetched and how hard a failing site is pushed.

use std::collections::BTreeMap;

use super::Check;
use crate::config::raw::{RawBreaker, RawFetch, RawIdentity, RawPoliteness, RawQuarantine};
use crate::config::{BreakerConfig, FetchConfig, Identity, PolitenessConfig, QuarantineConfig};
use crate::model::Board;

pub(super) fn fetch(
    c: &mut Check,
    f: RawFetch,
    p: RawPoliteness,
    b: RawBreaker,
    q: RawQuarantine,
) -> (
    FetchConfig,
    PolitenessConfig,
    BreakerConfig,
    QuarantineConfig,
) {
    let product_token = f.product_token.unwrap_or_else(|| "scoutly".into());
    if product_token.is_empty()
        || !product_token
            .chars()
            .all(|ch| ch.is_ascii_alphabetic() || ch == '-' || ch == '_')
    {
        c.bad(
            "fetch.product_token",
            &format!("{product_token:?}"),
            "letters, '-' and '_' only (RFC 9309)",
        );
    }
    let contact_url = f
        .contact_url
        .unwrap_or_else(|| "https://github.com/scoutly/scoutly".into());
    if !url::Url::parse(&contact_url).is_ok_and(|u| u.host().is_some()) {
        c.bad(
            "fetch.contact_url",
            &format!("{contact_url:?}"),
            "a URL where site owners can learn about the crawler or reach its operator",
        );
    }
    let fetch = FetchConfig {
        allow_private_targets: f.allow_private_targets.unwrap_or(false),
        allowed_private: Vec::new(),
        connect_timeout: c.positive_duration("fetch.connect_timeout", f.connect_timeout, "10s"),
        timeout: c.positive_duration("fetch.timeout", f.timeout, "30s"),
        max_body: c.size("fetch.max_body", f.max_body, "5MiB"),
        max_redirects: c.int("fetch.max_redirects", f.max_redirects, 5, 0, 20) as usize,
        max_pages: c.int("fetch.max_pages", f.max_pages, 10, 1, 1000) as usize,
        user_agent: f
            .user_agent
            .unwrap_or_else(|| "Scoutly/{version} (+{contact})".into()),
        contact_url,
        product_token,
        robots_cache: c.positive_duration("fetch.robots_cache", f.robots_cache, "24h"),
        identities: identities(c, f.identities.unwrap_or_default()),
        job_boards: job_boards(c, f.job_boards.unwrap_or_default()),
    };
    if fetch.max_body == 0 {
        c.bad("fetch.max_body", "0", "a size greater than zero");
    }
    let politeness = PolitenessConfig {
        delay: c.duration("politeness.delay", p.delay, "5s"),
        jitter: c.float("politeness.jitter", p.jitter, 0.5, 0.0, 1.0),
        max_retry_after: c.duration("politeness.max_retry_after", p.max_retry_after, "1h"),
        max_delay: c.duration("politeness.max_delay", p.max_delay, "10m"),
    };
    let breaker = BreakerConfig {
        failures: c.int("breaker.failures", b.failures, 5, 1, 1000) as u32,
        cool_off: c.positive_duration("breaker.cool_off", b.cool_off, "10m"),
        max_cool_off: c.positive_duration("breaker.max_cool_off", b.max_cool_off, "24h"),
    };
    let quarantine = QuarantineConfig {
        after_opens: c.int("quarantine.after_opens", q.after_opens, 3, 1, 1000) as u32,
        after_failing_for: c.positive_duration(
            "quarantine.after_failing_for",
            q.after_failing_for,
            "7days",
        ),
    };
    (fetch, politeness, breaker, quarantine)
}

fn identities(c: &mut Check, raw: Vec<RawIdentity>) -> Vec<Identity> {
    let mut out = Vec::new();
    for (i, r) in raw.into_iter().enumerate() {
        let key = format!("fetch.identities[{i}]");
        let values = [
            ("user_agent", Some(&r.user_agent)),
            ("accept", r.accept.as_ref()),
            ("accept_language", r.accept_language.as_ref()),
            ("sec_ch_ua", r.sec_ch_ua.as_ref()),
            ("sec_ch_ua_mobile", r.sec_ch_ua_mobile.as_ref()),
            ("sec_ch_ua_platform", r.sec_ch_ua_platform.as_ref()),
        ];
        let mut ok = true;
        for (field, v) in values {
            if let Some(v) = v
                && (v.is_empty() || reqwest::header::HeaderValue::from_str(v).is_err())
            {
                c.bad(
                    &format!("{key}.{field}"),
                    &format!("{v:?}"),
                    "a non-empty header value of visible ASCII characters",
                );
                ok = false;
            }
        }
        if ok {
            out.push(Identity {
                name: r.name.unwrap_or_else(|| format!("identity-{i}")),
                user_agent: r.user_agent,
                accept: r.accept.unwrap_or_else(|| {
                    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8".into()
                }),
                accept_language: r.accept_language.unwrap_or_else(|| "en-US,en;q=0.9".into()),
                sec_ch_ua: r.sec_ch_ua,
                sec_ch_ua_mobile: r.sec_ch_ua_mobile,
                sec_ch_ua_platform: r.sec_ch_ua_platform,
            });
        }
    }
    out
}

fn job_boards(c: &mut Check, raw: BTreeMap<String, String>) -> BTreeMap<String, url::Url> {
    let mut out = BTreeMap::new();
    for (name, base) in raw {
        let key = format!("fetch.job_boards.{name}");
        if Board::parse(&name).is_none() {
            c.bad(
                &key,
                &format!("{base:?}"),
                &format!("a board among {}", Board::ALL.map(Board::as_str).join(", ")),
            );
            continue;
        }
        match url::Url::parse(&base) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
                out.insert(name, u);
            }
            _ => c.bad(
                &key,
                &format!("{base:?}"),
                "an http(s) base URL such as \"http://127.0.0.1:9000\"",
            ),
        }
    }
    out
}
