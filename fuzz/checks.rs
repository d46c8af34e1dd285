//! What each fuzz target asserts about one input. Shared by the fuzz
//! targets (`cargo fuzz`, nightly) and by `tests/fuzz_corpus.rs`, which
//! replays the committed corpus on stable in the ordinary test suite, so a
//! crash once found stays fixed.
#![allow(dead_code)]

use scoutly::extract::{self, LinkFilter, canonicalize};
use scoutly::fetch::boards;
use scoutly::fetch::robots::Robots;
use scoutly::model::Board;
use url::Url;

/// Link extraction and canonicalisation: any bytes are a page; every link
/// kept is an http(s) URL in canonical form, and canonicalising a canonical
/// URL changes nothing (so a link is new exactly once).
pub fn links(data: &[u8]) {
    let page = Url::parse("https://acme.example/careers/index.html?team=eng").unwrap();
    if let Ok(found) = extract::job_links(data, &page, &LinkFilter::default()) {
        for link in &found.jobs {
            assert!(
                matches!(link.url.scheme(), "http" | "https"),
                "{}",
                link.url
            );
            assert_eq!(
                canonicalize(&page, link.url.as_str()).as_ref(),
                Some(&link.url),
                "a kept link is canonical"
            );
        }
    }
    // The first line as an href of its own.
    let href = String::from_utf8_lossy(data.split(|b| *b == b'\n').next().unwrap_or(&[]));
    if let Some(once) = canonicalize(&page, &href) {
        let twice = canonicalize(&page, once.as_str());
        assert_eq!(twice.as_ref(), Some(&once), "canonicalising {href:?} twice");
    }
}

/// robots.txt: any bytes parse; a decision is the same when asked twice,
/// and a path no rule matches is allowed.
pub fn robots(data: &[u8]) {
    let r = Robots::parse(data);
    let last = String::from_utf8_lossy(data.rsplit(|b| *b == b'\n').next().unwrap_or(&[]));
    for path in ["/", "/careers", "/jobs/123?x=1", &format!("/{last}")] {
        let a = r.decide("scoutly", path);
        let b = r.decide("Scoutly", path);
        assert_eq!(a, b, "the product token is matched case-insensitively");
        if a.rule.is_none() {
            assert!(a.allowed, "no rule matched {path:?}, yet it is refused");
        }
    }
    let _ = r.crawl_delay("scoutly");
    assert_eq!(Robots::parse(data), r, "parsing is deterministic");
}

/// The config file: any text is accepted or refused with a message, never
/// a panic; a refusal names what was wrong.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = scoutly::config::Config::from_toml(text, "fuzz.toml") {
        assert!(!e.to_string().is_empty());
    }
}

/// Each job board's listing JSON: parsed or refused, never a panic; every
/// link parsed is an http(s) URL, and no more links than postings returned.
pub fn boards(data: &[u8]) {
    for board in Board::ALL {
        if let Ok(page) = boards::parse(board, "acme", data) {
            assert!(page.links.len() <= page.returned, "{board:?}");
            for link in &page.links {
                let url = Url::parse(&link.url).expect("a board link is a URL");
                assert!(matches!(url.scheme(), "http" | "https"), "{url}");
            }
        }
    }
}

/// The HTTP API, in process, over a real database in a temporary
/// directory, with an admin's token: whatever the method, path, query and
/// body, the answer is not a 5xx, and an error has the documented shape.
pub struct Api {
    rt: tokio::runtime::Runtime,
    router: axum::Router,
    token: String,
    _dir: tempfile::TempDir,
}

/// Methods an input's first byte chooses from.
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

impl Api {
    pub fn new() -> Api {
        use scoutly::control::{Control, Request};
        use std::sync::Arc;
        let dir = tempfile::tempdir().unwrap();
        let store = scoutly::store::Store::open(&dir.path().join("scoutly.redb")).unwrap();
        let config = Arc::new(scoutly::config::Config::defaults());
        let control = Control::new(store, scoutly::clock::system(), config);
        let root = control
            .execute(Request::UserAdd {
                name: "root".into(),
                admin: true,
                service: false,
            })
            .unwrap();
        control
            .execute(Request::CompanyAdd {
                name: "Acme".into(),
                urls: vec!["https://acme.example/careers".into()],
                rank: Some(50),
                mode: None,
                include: vec![],
                exclude: vec![],
                user: Some("root".into()),
            })
            .unwrap();
        let state = scoutly::http::AppState {
            control,
            data_dir: dir.path().to_path_buf(),
            min_free_disk: 0,
            limiter: Arc::new(scoutly::http::RateLimiter::new(u32::MAX, u32::MAX)),
            metrics_token: false,
            events: scoutly::events::Bus::default(),
            shutdown: tokio_util::sync::CancellationToken::new(),
        };
        Api {
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            router: scoutly::http::router(state),
            token: root["token"].as_str().unwrap().to_string(),
            _dir: dir,
        }
    }

    /// First byte: the method; up to the first newline: the path and query
    /// (under `/api/`); the rest: the body.
    pub fn check(&self, data: &[u8]) {
        use tower::ServiceExt;
        let Some((&m, rest)) = data.split_first() else {
            return;
        };
        let method = METHODS[m as usize % METHODS.len()];
        let (line, body) = match rest.iter().position(|b| *b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &[][..]),
        };
        let target: String = String::from_utf8_lossy(line)
            .chars()
            .filter(|c| c.is_ascii_graphic())
            .collect();
        let uri = format!("/api/{}", target.trim_start_matches('/'));
        // The events stream never ends; it is not a place for bodies.
        if uri.starts_with("/api/events") {
            return;
        }
        let Ok(req) = axum::http::Request::builder()
            .method(method)
            .uri(&uri)
            .header("authorization", format!("Bearer {}", self.token))
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body.to_vec()))
        else {
            return;
        };
        let (status, text) = self.rt.block_on(async {
            let resp = self.router.clone().oneshot(req).await.unwrap();
            let status = resp.status();
            let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
                .await
                .unwrap_or_default();
            (status, String::from_utf8_lossy(&bytes).into_owned())
        });
        assert!(
            status.as_u16() < 500,
            "{method} {uri} with {:?} answered {status}: {text}",
            String::from_utf8_lossy(body)
        );
        if status.as_u16() >= 400 {
            let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            assert!(
                v["error"]["message"].is_string() && v["error"]["code"].is_string(),
                "{method} {uri}: {status} without the error shape: {text}"
            );
        }
    }
}
