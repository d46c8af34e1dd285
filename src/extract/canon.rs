//! One canonical form per link, so a link is "new" exactly once.
//!
//! Resolves against the page or `<base href>`, keeps only http(s), lowercases
//! scheme and host and drops default ports (the WHATWG parser does both, and
//! turns IDN hosts into punycode), drops the fragment and tracking parameters,
//! and drops an empty query.

use url::Url;

/// Query parameters that only track where a click came from.
const TRACKING_EXACT: &[&str] = &[
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "fbclid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "_hsenc",
    "_hsmi",
    "igshid",
    "yclid",
    "twclid",
    "li_fat_id",
    "_ga",
    "_gl",
    "ref_src",
];

fn is_tracking(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("utm_") || TRACKING_EXACT.contains(&lower.as_str())
}

/// Canonical absolute URL of `href` found on a page whose base is `base`;
/// `None` for links that are not web pages (mailto:, tel:, javascript:, …).
pub fn canonicalize(base: &Url, href: &str) -> Option<Url> {
    let href = href.trim();
    if href.is_empty() || href.starts_with('#') {
        return None;
    }
    let mut url = base.join(href).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return None;
    }
    url.set_fragment(None);
    if let Some(query) = url.query()
        && !query.is_empty()
    {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| !is_tracking(k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let changed = kept.len() != url.query_pairs().count();
        if kept.is_empty() {
            url.set_query(None);
        } else if changed {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
    } else {
        url.set_query(None);
    }
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(base: &str, href: &str) -> Option<String> {
        canonicalize(&Url::parse(base).unwrap(), href).map(String::from)
    }

    #[test]
    fn relative_links_resolve_against_the_page() {
        let page = "https://acme.example/careers/index.html";
        assert_eq!(
            c(page, "jobs/1").unwrap(),
            "https://acme.example/careers/jobs/1"
        );
        assert_eq!(c(page, "/jobs/1").unwrap(), "https://acme.example/jobs/1");
        assert_eq!(c(page, "../jobs/1").unwrap(), "https://acme.example/jobs/1");
        assert_eq!(
            c(page, "//other.example/x").unwrap(),
            "https://other.example/x"
        );
        assert_eq!(
            c(page, "?page=2").unwrap(),
            "https://acme.example/careers/index.html?page=2"
        );
    }

    #[test]
    fn base_href_is_the_base() {
        // `job_links` resolves <base href> against the page first.
        let base = "https://cdn.acme.example/root/";
        assert_eq!(
            c(base, "jobs/7").unwrap(),
            "https://cdn.acme.example/root/jobs/7"
        );
    }

    #[test]
    fn fragments_and_tracking_params_are_dropped() {
        let page = "https://acme.example/";
        assert_eq!(
            c(page, "/jobs/1#apply").unwrap(),
            "https://acme.example/jobs/1"
        );
        assert_eq!(
            c(page, "/jobs/1?utm_source=x&UTM_Medium=y&gclid=1&fbclid=2").unwrap(),
            "https://acme.example/jobs/1"
        );
        assert_eq!(
            c(page, "/jobs?gh_jid=42&utm_campaign=z").unwrap(),
            "https://acme.example/jobs?gh_jid=42"
        );
        assert_eq!(c(page, "/jobs/1?").unwrap(), "https://acme.example/jobs/1");
        assert_eq!(c(page, "#top"), None);
    }

    #[test]
    fn scheme_host_case_and_default_ports() {
        let page = "https://acme.example/";
        assert_eq!(
            c(page, "HTTPS://ACME.Example:443/Jobs/1").unwrap(),
            "https://acme.example/Jobs/1"
        );
        assert_eq!(
            c(page, "http://acme.example:80/a").unwrap(),
            "http://acme.example/a"
        );
        assert_eq!(
            c(page, "http://acme.example:8080/a").unwrap(),
            "http://acme.example:8080/a"
        );
    }

    #[test]
    fn idn_hosts_become_punycode() {
        let page = "https://acme.example/";
        assert_eq!(
            c(page, "https://bücher.example/jobs/1").unwrap(),
            "https://xn--bcher-kva.example/jobs/1"
        );
    }

    #[test]
    fn non_web_links_are_dropped() {
        let page = "https://acme.example/";
        for href in [
            "mailto:jobs@acme.example",
            "tel:+123",
            "javascript:void(0)",
            "data:text/html,x",
            "ftp://acme.example/x",
            "",
            "   ",
        ] {
            assert_eq!(c(page, href), None, "{href}");
        }
    }
}
