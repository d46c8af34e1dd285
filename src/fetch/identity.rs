//! Which headers a request presents.
//!
//! By default every request carries the honest User-Agent
//! (`Scoutly/<version> (+<contact URL>)`). When the operator configures
//! browser identity profiles (`[[fetch.identities]]`), each host gets one at
//! random and keeps it, so a site sees one consistent browser; after a bot
//! wall the host moves to the next profile (the retry then comes "with a
//! different browser configuration"). robots.txt is matched against the
//! product token whatever is sent here.

use std::collections::HashMap;
use std::sync::Mutex;

use reqwest::header::{ACCEPT, ACCEPT_LANGUAGE, HeaderMap, HeaderName, HeaderValue, USER_AGENT};

use crate::config::Identity;

#[derive(Debug)]
pub struct Identities {
    honest: HeaderMap,
    profiles: Vec<HeaderMap>,
    names: Vec<String>,
    chosen: Mutex<HashMap<String, usize>>,
}

fn header(value: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(value).ok()
}

fn profile_headers(p: &Identity) -> HeaderMap {
    let mut h = HeaderMap::new();
    let pairs: [(HeaderName, Option<&String>); 6] = [
        (USER_AGENT, Some(&p.user_agent)),
        (ACCEPT, Some(&p.accept)),
        (ACCEPT_LANGUAGE, Some(&p.accept_language)),
        (HeaderName::from_static("sec-ch-ua"), p.sec_ch_ua.as_ref()),
        (
            HeaderName::from_static("sec-ch-ua-mobile"),
            p.sec_ch_ua_mobile.as_ref(),
        ),
        (
            HeaderName::from_static("sec-ch-ua-platform"),
            p.sec_ch_ua_platform.as_ref(),
        ),
    ];
    for (name, value) in pairs {
        // Values were checked when the config was validated.
        if let Some(v) = value.and_then(|v| header(v)) {
            h.insert(name, v);
        }
    }
    h
}

impl Identities {
    pub fn new(user_agent: &str, profiles: &[Identity]) -> Self {
        let mut honest = HeaderMap::new();
        if let Some(v) = header(user_agent) {
            honest.insert(USER_AGENT, v);
        }
        honest.insert(
            ACCEPT,
            HeaderValue::from_static("text/html,application/xhtml+xml,*/*;q=0.8"),
        );
        Self {
            honest,
            profiles: profiles.iter().map(profile_headers).collect(),
            names: profiles.iter().map(|p| p.name.clone()).collect(),
            chosen: Mutex::new(HashMap::new()),
        }
    }

    fn index(&self, host: &str) -> Option<usize> {
        if self.profiles.is_empty() {
            return None;
        }
        let mut chosen = self.chosen.lock().unwrap_or_else(|e| e.into_inner());
        let n = self.profiles.len();
        Some(
            *chosen
                .entry(host.to_ascii_lowercase())
                .or_insert_with(|| rand::random_range(0..n)),
        )
    }

    /// The headers for a request to `host`.
    pub fn headers(&self, host: &str) -> &HeaderMap {
        match self.index(host) {
            Some(i) => &self.profiles[i],
            None => &self.honest,
        }
    }

    /// The name of the identity `host` sees ("honest" without profiles).
    fn name(&self, host: &str) -> &str {
        match self.index(host) {
            Some(i) => &self.names[i],
            None => "honest",
        }
    }

    /// After a bot wall: present the next profile to `host` from now on.
    pub fn switch(&self, host: &str) {
        let Some(current) = self.index(host) else {
            return;
        };
        let next = (current + 1) % self.profiles.len();
        self.chosen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(host.to_ascii_lowercase(), next);
        tracing::info!(
            host,
            identity = self.name(host),
            "bot wall: switching identity"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(name: &str, ua: &str) -> Identity {
        Identity {
            name: name.into(),
            user_agent: ua.into(),
            accept: "text/html".into(),
            accept_language: "en-GB".into(),
            sec_ch_ua: Some("\"Chromium\";v=\"130\"".into()),
            sec_ch_ua_mobile: Some("?0".into()),
            sec_ch_ua_platform: Some("\"Linux\"".into()),
        }
    }

    #[test]
    fn honest_by_default() {
        let ids = Identities::new("Scoutly/1 (+https://x.example)", &[]);
        assert_eq!(
            ids.headers("a")[USER_AGENT],
            "Scoutly/1 (+https://x.example)"
        );
        ids.switch("a");
        assert_eq!(ids.name("a"), "honest");
    }

    #[test]
    fn sticky_per_host_and_switched_after_a_block() {
        let ids = Identities::new("Scoutly", &[profile("one", "UA1"), profile("two", "UA2")]);
        let first = ids.name("Site.example").to_string();
        for _ in 0..10 {
            assert_eq!(ids.name("site.example"), first, "sticky");
        }
        ids.switch("site.example");
        let second = ids.name("site.example").to_string();
        assert_ne!(first, second);
        let h = ids.headers("site.example");
        assert_eq!(h["sec-ch-ua-platform"], "\"Linux\"");
        assert_eq!(h[ACCEPT_LANGUAGE], "en-GB");
        assert!(h[USER_AGENT] == "UA1" || h[USER_AGENT] == "UA2");
    }
}
