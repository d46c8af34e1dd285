//! The fetcher's limits against real servers on loopback: body size, time,
//! redirects, and redirects into addresses the policy refuses.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::site::{Page, Site};
use scoutly::config::Config;
use scoutly::fetch::{FailureClass, FetchError, Fetcher};

fn config(site: &Site) -> Config {
    let mut c = Config::defaults();
    c.fetch.allow_private_targets = false;
    c.fetch.allowed_private = vec![site.addr];
    c.fetch.timeout = Duration::from_millis(500);
    c.fetch.max_body = 10_000;
    c.fetch.max_redirects = 2;
    c.politeness.delay = Duration::ZERO;
    c
}

fn page(status: u16, body: &str, location: Option<String>) -> Page {
    Page {
        status,
        body: body.into(),
        delay: Duration::ZERO,
        location,
        ..Page::default()
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn get(cfg: &Config, url: &str) -> Result<scoutly::fetch::Page, FetchError> {
    rt().block_on(async { Fetcher::new(cfg).unwrap().get(&url.parse().unwrap()).await })
}

#[test]
fn oversized_body_is_cut_off() {
    let site = Site::start();
    site.set("/big", "x".repeat(50_000));
    site.set("/small", "x".repeat(500));
    let cfg = config(&site);
    let err = get(&cfg, &site.url("/big")).unwrap_err();
    assert_eq!(err.class, FailureClass::TooLarge);
    assert!(err.to_string().contains("10000 byte limit"), "{err}");
    assert_eq!(get(&cfg, &site.url("/small")).unwrap().body.len(), 500);
}

#[test]
fn slow_page_times_out_and_is_retryable() {
    let site = Site::start();
    site.set_page(
        "/slow",
        Page {
            delay: Duration::from_secs(3),
            ..page(200, "late", None)
        },
    );
    let err = get(&config(&site), &site.url("/slow")).unwrap_err();
    assert_eq!(err.class, FailureClass::Timeout, "{err}");
    assert!(err.retryable());
}

#[test]
fn redirect_limit_is_enforced() {
    let site = Site::start();
    for i in 0..5 {
        site.set_page(
            &format!("/r{i}"),
            page(302, "", Some(format!("/r{}", i + 1))),
        );
    }
    site.set("/r5", "end".into());
    let cfg = config(&site);
    let err = get(&cfg, &site.url("/r0")).unwrap_err();
    assert_eq!(err.class, FailureClass::TooManyRedirects, "{err}");
    assert!(err.to_string().contains("more than 2 redirects"), "{err}");
    assert_eq!(get(&cfg, &site.url("/r3")).unwrap().body, b"end");
}

#[test]
fn redirect_into_a_refused_private_address_is_not_followed() {
    let site = Site::start();
    // A second server on another loopback address stands for the operator's LAN.
    let lan = std::net::TcpListener::bind("127.0.0.2:0").unwrap();
    let lan_addr: SocketAddr = lan.local_addr().unwrap();
    lan.set_nonblocking(true).unwrap();
    site.set_page(
        "/jump",
        page(302, "", Some(format!("http://{lan_addr}/admin"))),
    );
    let err = get(&config(&site), &site.url("/jump")).unwrap_err();
    assert_eq!(err.class, FailureClass::UnsafeRedirect, "{err}");
    assert!(err.to_string().contains("127.0.0.2"), "{err}");
    assert!(
        lan.accept().is_err(),
        "no connection reached the refused address"
    );
    // Allowed by config, the same redirect is followed (and fails only because nobody answers HTTP there).
    let mut open = config(&site);
    open.fetch.allow_private_targets = true;
    let err = get(&open, &site.url("/jump")).unwrap_err();
    assert_ne!(err.class, FailureClass::UnsafeRedirect, "{err}");
}

#[test]
fn server_errors_are_retryable_gone_pages_need_attention() {
    let site = Site::start();
    site.set_page("/busy", page(503, "busy", None));
    let cfg = config(&site);
    let busy = get(&cfg, &site.url("/busy")).unwrap_err();
    assert!(busy.retryable() && !busy.needs_attention());
    let gone = get(&cfg, &site.url("/missing")).unwrap_err();
    assert!(!gone.retryable() && gone.needs_attention(), "{gone}");
}

#[test]
fn a_redirect_hop_waits_for_its_hosts_courtesy_delay() {
    let origin = Site::start();
    let other = Site::start_on("127.0.0.2");
    origin.set("/a", "a".into());
    other.set_page("/jump", page(302, "", Some(origin.url("/a"))));
    let mut cfg = config(&origin);
    cfg.fetch.allowed_private.push(other.addr);
    cfg.politeness.delay = Duration::from_millis(400);
    cfg.politeness.jitter = 0.0;
    cfg.fetch.timeout = Duration::from_secs(5);
    rt().block_on(async {
        let f = Fetcher::new(&cfg).unwrap();
        f.get(&origin.url("/a").parse().unwrap()).await.unwrap();
        let start = std::time::Instant::now();
        let page = f.get(&other.url("/jump").parse().unwrap()).await.unwrap();
        assert_eq!(page.body, b"a");
        assert_eq!(page.url.as_str(), origin.url("/a"));
        assert!(
            start.elapsed() >= Duration::from_millis(390),
            "redirect target was not paced: {:?}",
            start.elapsed()
        );
    });
    assert_eq!(origin.hits("/a"), 2);
}

#[test]
fn a_name_resolving_to_a_refused_address_is_an_unsafe_target_not_a_robots_failure() {
    let site = Site::start();
    site.set("/a", "a".into());
    let url = format!("http://localhost:{}/a", site.addr.port());
    let err = get(&config(&site), &url).unwrap_err();
    assert_eq!(err.class, FailureClass::UnsafeTarget, "{err}");
    assert!(err.to_string().contains("non-public"), "{err}");
    assert!(err.needs_attention());
    assert_eq!(site.hits("/a") + site.hits("/robots.txt"), 0);
}
