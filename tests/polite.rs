//! Politeness against real servers on loopback, measured on the server side:
//! robots.txt (status handling, caching, redirects, Crawl-delay, our product
//! token), per-host pacing with Retry-After, identities and bot walls,
//! conditional requests and the circuit breaker.

mod common;

use std::time::Duration;

use common::site::{Page, Site};
use scoutly::config::{Config, Identity};
use scoutly::fetch::{FailureClass, Fetched, Fetcher};

fn config(sites: &[&Site]) -> Config {
    let mut c = Config::defaults();
    c.fetch.allowed_private = sites.iter().map(|s| s.addr).collect();
    c.fetch.timeout = Duration::from_secs(5);
    c.politeness.delay = Duration::ZERO;
    c
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn robots(site: &Site, body: &str) {
    site.set("/robots.txt", body.into());
}

fn status(code: u16, headers: &[(&str, &str)]) -> Page {
    Page {
        status: code,
        body: "no".into(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Page::default()
    }
}

#[test]
fn a_page_robots_forbids_is_never_fetched_and_the_file_is_read_once() {
    let site = Site::start();
    robots(
        &site,
        "User-agent: *\nDisallow: /\n\nUser-agent: scoutly\nDisallow: /private\nAllow: /private/jobs\n",
    );
    site.set("/private/x", "secret".into());
    site.set("/private/jobs", "jobs".into());
    rt().block_on(async {
        let f = Fetcher::new(&config(&[&site])).unwrap();
        let err = f
            .get(&site.url("/private/x").parse().unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.class, FailureClass::RobotsDenied, "{err}");
        assert!(err.to_string().contains("Disallow: /private"), "{err}");
        assert!(!err.retryable());
        f.get(&site.url("/private/jobs").parse().unwrap())
            .await
            .unwrap();
    });
    assert_eq!(site.hits("/private/x"), 0);
    assert_eq!(site.hits("/robots.txt"), 1, "cached for the second page");
}

#[test]
fn our_product_token_decides_whatever_user_agent_is_sent() {
    let site = Site::start();
    robots(
        &site,
        "User-agent: scoutly\nDisallow: /\n\nUser-agent: *\nAllow: /\n",
    );
    site.set("/jobs", "jobs".into());
    let mut cfg = config(&[&site]);
    cfg.fetch.identities = vec![Identity {
        name: "chrome".into(),
        user_agent: "Mozilla/5.0 Chrome/130".into(),
        accept: "text/html".into(),
        accept_language: "en".into(),
        sec_ch_ua: None,
        sec_ch_ua_mobile: None,
        sec_ch_ua_platform: None,
    }];
    rt().block_on(async {
        let f = Fetcher::new(&cfg).unwrap();
        let err = f
            .get(&site.url("/jobs").parse().unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.class, FailureClass::RobotsDenied);
    });
    assert_eq!(site.hits("/jobs"), 0);
    assert_eq!(site.log()[0].user_agent, "Mozilla/5.0 Chrome/130");
}

#[test]
fn robots_status_4xx_allows_all_5xx_blocks_the_host_until_it_answers() {
    let site = Site::start();
    site.set("/jobs", "jobs".into());
    let mut cfg = config(&[&site]);
    // Ask for robots.txt on every fetch, so each status is seen at once.
    cfg.fetch.robots_cache = Duration::ZERO;
    rt().block_on(async {
        let f = Fetcher::new(&cfg).unwrap();
        let url = site.url("/jobs").parse().unwrap();
        // No robots.txt (404): no restrictions.
        f.get(&url).await.unwrap();
        site.set_page("/robots.txt", status(403, &[]));
        f.get(&url).await.unwrap();
        for code in [500, 503, 429] {
            site.set_page("/robots.txt", status(code, &[]));
            let err = f.get(&url).await.unwrap_err();
            assert_eq!(err.class, FailureClass::RobotsUnreachable, "{code}: {err}");
            assert!(err.retryable());
            assert!(err.to_string().contains(&format!("HTTP {code}")), "{err}");
        }
        robots(&site, "User-agent: *\nAllow: /\n");
        f.get(&url).await.unwrap();
    });
    assert_eq!(
        site.hits("/jobs"),
        3,
        "never fetched while robots.txt failed"
    );
}

#[test]
fn robots_redirects_are_followed_up_to_five() {
    let site = Site::start();
    for i in 0..3 {
        site.set_page(
            &format!("/robots{i}"),
            Page {
                status: 301,
                location: Some(format!("/robots{}", i + 1)),
                ..Page::default()
            },
        );
    }
    site.set_page(
        "/robots.txt",
        Page {
            status: 301,
            location: Some("/robots0".into()),
            ..Page::default()
        },
    );
    site.set("/robots3", "User-agent: *\nDisallow: /jobs\n".into());
    site.set("/jobs", "jobs".into());
    rt().block_on(async {
        let f = Fetcher::new(&config(&[&site])).unwrap();
        let err = f
            .get(&site.url("/jobs").parse().unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.class, FailureClass::RobotsDenied, "{err}");
    });
}

/// Gaps between consecutive requests to one host, server side: from the end
/// of one answer to the start of the next request.
fn gaps(site: &Site, path_prefix: &str) -> Vec<Duration> {
    let log: Vec<_> = site
        .log()
        .into_iter()
        .filter(|h| h.path.starts_with(path_prefix))
        .collect();
    log.windows(2)
        .map(|w| {
            assert!(
                w[1].start >= w[0].end,
                "two requests to one host overlapped"
            );
            w[1].start - w[0].end
        })
        .collect()
}

#[test]
fn crawl_delay_longer_than_the_courtesy_delay_is_honoured() {
    let site = Site::start();
    robots(&site, "User-agent: scoutly\nCrawl-delay: 0.6\n");
    site.set("/a", "a".into());
    site.set("/b", "b".into());
    let mut cfg = config(&[&site]);
    cfg.politeness.delay = Duration::from_millis(100);
    rt().block_on(async {
        let f = Fetcher::new(&cfg).unwrap();
        f.get(&site.url("/a").parse().unwrap()).await.unwrap();
        f.get(&site.url("/b").parse().unwrap()).await.unwrap();
    });
    let g = gaps(&site, "/");
    assert!(g.iter().all(|g| *g >= Duration::from_millis(590)), "{g:?}");
}

#[test]
fn pacing_across_hosts_no_overlap_and_the_delay_between() {
    let a = Site::start_on("127.0.0.1");
    let b = Site::start_on("127.0.0.2");
    for s in [&a, &b] {
        for i in 0..4 {
            s.set_page(
                &format!("/p{i}"),
                Page {
                    body: "x".into(),
                    delay: Duration::from_millis(30),
                    ..Page::default()
                },
            );
        }
    }
    let mut cfg = config(&[&a, &b]);
    cfg.politeness.delay = Duration::from_millis(200);
    cfg.politeness.jitter = 0.5;
    let start = std::time::Instant::now();
    rt().block_on(async {
        let f = Fetcher::new(&cfg).unwrap();
        let mut tasks = Vec::new();
        // Three concurrent fetchers per host, as several workers would be.
        for s in [&a, &b] {
            for i in 0..4 {
                let f = f.clone();
                let url = s.url(&format!("/p{i}")).parse().unwrap();
                tasks.push(tokio::spawn(async move { f.get(&url).await.unwrap() }));
            }
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
    for s in [&a, &b] {
        let g = gaps(s, "/p");
        assert_eq!(g.len(), 3);
        assert!(g.iter().all(|g| *g >= Duration::from_millis(95)), "{g:?}");
    }
    // The hosts were paced independently: 4 pages with 3 gaps each, not 8.
    assert!(start.elapsed() < Duration::from_millis(3 * 300 + 4 * 30 + 900));
}

#[test]
fn retry_after_on_429_and_503_delays_the_next_request_to_that_host() {
    let site = Site::start();
    site.set_page("/busy", status(429, &[("retry-after", "1")]));
    site.set_page(
        "/down",
        status(503, &[("retry-after", "Thu, 01 Jan 1970 00:00:00 GMT")]),
    );
    site.set("/ok", "ok".into());
    rt().block_on(async {
        let f = Fetcher::new(&config(&[&site])).unwrap();
        let err = f
            .get(&site.url("/busy").parse().unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.class, FailureClass::Http429);
        assert_eq!(err.retry_after, Some(Duration::from_secs(1)));
        f.get(&site.url("/ok").parse().unwrap()).await.unwrap();
        let err = f
            .get(&site.url("/down").parse().unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.class, FailureClass::Http5xx);
        assert_eq!(err.retry_after, Some(Duration::ZERO), "a date in the past");
    });
    let log = site.log();
    let busy = log.iter().find(|h| h.path == "/busy").unwrap();
    let ok = log.iter().find(|h| h.path == "/ok").unwrap();
    assert!(ok.start - busy.end >= Duration::from_millis(990));
}

#[test]
fn the_honest_user_agent_names_the_contact_url() {
    let site = Site::start();
    site.set("/a", "a".into());
    let mut cfg = config(&[&site]);
    cfg.fetch.contact_url = "https://jobs-watch.example/about".into();
    rt().block_on(async {
        Fetcher::new(&cfg)
            .unwrap()
            .get(&site.url("/a").parse().unwrap())
            .await
            .unwrap();
    });
    for hit in site.log() {
        assert_eq!(
            hit.user_agent,
            format!(
                "Scoutly/{} (+https://jobs-watch.example/about)",
                env!("CARGO_PKG_VERSION")
            )
        );
    }
}

#[test]
fn a_bot_wall_is_classified_and_the_host_gets_the_next_identity() {
    let site = Site::start();
    site.set_page(
        "/jobs",
        Page {
            status: 403,
            body: "<title>Just a moment...</title><script src=/cdn-cgi/challenge-platform/x>"
                .into(),
            ..Page::default()
        },
    );
    let profile = |name: &str| Identity {
        name: name.into(),
        user_agent: format!("Browser {name}"),
        accept: "text/html".into(),
        accept_language: "en".into(),
        sec_ch_ua: None,
        sec_ch_ua_mobile: None,
        sec_ch_ua_platform: None,
    };
    let mut cfg = config(&[&site]);
    cfg.fetch.identities = vec![profile("one"), profile("two")];
    rt().block_on(async {
        let f = Fetcher::new(&cfg).unwrap();
        let url = site.url("/jobs").parse().unwrap();
        let err = f.get(&url).await.unwrap_err();
        assert_eq!(err.class, FailureClass::Blocked, "{err}");
        assert!(err.retryable());
        f.get(&url).await.unwrap_err();
    });
    let agents: Vec<String> = site
        .log()
        .into_iter()
        .filter(|h| h.path == "/jobs")
        .map(|h| h.user_agent)
        .collect();
    assert_eq!(agents.len(), 2);
    assert_ne!(agents[0], agents[1], "switched after the wall");
}

#[test]
fn conditional_requests_turn_an_unchanged_page_into_a_304() {
    let site = Site::start();
    site.set_page(
        "/jobs",
        Page {
            body: "<a href=/jobs/1>Engineer</a>".into(),
            headers: vec![
                ("etag".into(), "\"v1\"".into()),
                (
                    "last-modified".into(),
                    "Wed, 21 Oct 2026 07:28:00 GMT".into(),
                ),
            ],
            ..Page::default()
        },
    );
    rt().block_on(async {
        let f = Fetcher::new(&config(&[&site])).unwrap();
        let url = site.url("/jobs").parse().unwrap();
        let Fetched::Page(page) = f.fetch(&url, None).await.unwrap() else {
            panic!("first fetch is unconditional");
        };
        assert_eq!(page.validators.etag.as_deref(), Some("\"v1\""));
        assert!(page.validators.last_modified.is_some());
        let again = f.fetch(&url, Some(&page.validators)).await.unwrap();
        assert!(matches!(again, Fetched::NotModified));
    });
    let log = site.log();
    let pages: Vec<_> = log.iter().filter(|h| h.path == "/jobs").collect();
    assert_eq!(pages[1].if_none_match.as_deref(), Some("\"v1\""));
    assert_eq!(pages[1].status, 304);
}

#[test]
fn the_circuit_opens_after_repeated_host_failures_and_stops_requests() {
    let site = Site::start();
    site.set_page("/down", status(500, &[]));
    let mut cfg = config(&[&site]);
    cfg.breaker.failures = 3;
    cfg.breaker.cool_off = Duration::from_secs(600);
    rt().block_on(async {
        let f = Fetcher::new(&cfg).unwrap();
        let url = site.url("/down").parse().unwrap();
        let mut opened = None;
        for _ in 0..3 {
            let err = f.get(&url).await.unwrap_err();
            assert_eq!(err.class, FailureClass::Http5xx);
            opened = err.opened_circuit;
        }
        assert_eq!(
            opened,
            Some(Duration::from_secs(600)),
            "the third failure opened it"
        );
        let err = f.get(&url).await.unwrap_err();
        assert_eq!(err.class, FailureClass::CircuitOpen, "{err}");
        assert!(err.retry_after.unwrap() > Duration::from_secs(590));
        assert_eq!(f.open_circuits(), 1);
        f.reset_host(&url);
        assert_eq!(f.open_circuits(), 0);
    });
    assert_eq!(site.hits("/down"), 3, "the open circuit sent nothing");
}
