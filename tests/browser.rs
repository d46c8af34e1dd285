//! The headless browser end to end: the real binary driving Debian's
//! `chromium` against pages whose job links only exist once their
//! JavaScript has run.

mod common;

use common::site::{Page, Site};
use common::{Appliance, FAST_CONFIG};
use serde_json::Value;

fn config(extra: &str) -> String {
    format!(
        "{FAST_CONFIG}\n[browser]\npage_timeout = \"20s\"\nnetwork_idle = \"3s\"\nmin_available_memory = \"64MiB\"\n{extra}"
    )
}

/// A careers page that is an empty shell: its script asks `/{company}/jobs.json`
/// and draws the links. It also shows an image, which must never be fetched.
fn spa(site: &Site, company: &str, jobs: &[(u32, &str)]) {
    site.set(
        &format!("/{company}/careers"),
        format!(
            r#"<html><head><title>Careers</title></head><body>
            <img src="/{company}/logo.png"><div id="root"></div>
            <noscript>Please enable JavaScript</noscript>
            <script src="/{company}/app.js"></script></body></html>"#
        ),
    );
    site.set(
        &format!("/{company}/app.js"),
        format!(
            r#"fetch("/{company}/jobs.json").then(r => r.json()).then(jobs => {{
                const ul = document.createElement("ul");
                for (const j of jobs) {{
                    const li = document.createElement("li");
                    const a = document.createElement("a");
                    a.href = "/{company}/jobs/" + j.id; a.textContent = j.title;
                    li.appendChild(a); ul.appendChild(li);
                }}
                document.getElementById("root").appendChild(ul);
            }});"#
        ),
    );
    let list: Vec<Value> = jobs
        .iter()
        .map(|(id, t)| serde_json::json!({"id": id, "title": t}))
        .collect();
    site.set(
        &format!("/{company}/jobs.json"),
        Value::Array(list).to_string(),
    );
    site.set(&format!("/{company}/logo.png"), "PNG".into());
}

fn add_browser_company(app: &Appliance, name: &str, url: &str) -> Value {
    app.json(&[
        "company", "add", "--name", name, "--url", url, "--rank", "50", "--mode", "browser",
    ])
}

fn titles(app: &Appliance, company: &Value) -> Vec<String> {
    let mut t: Vec<String> = app
        .json(&["postings", "--all"])
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["companyId"] == company["id"])
        .map(|p| p["title"].as_str().unwrap().to_string())
        .collect();
    t.sort();
    t
}

fn launches(app: &Appliance) -> usize {
    app.log().matches("headless browser launched").count()
}

#[test]
fn browser_and_auto_companies_get_the_links_scripts_draw() {
    let site = Site::start();
    spa(
        &site,
        "acme",
        &[(101, "Platform Engineer"), (102, "Data Analyst")],
    );
    spa(&site, "beta", &[(107, "Designer")]);
    site.set(
        "/gamma/careers",
        common::site::careers_page("gamma", &[(3, "Static Engineer")]),
    );
    let mut app = Appliance::with_config(&config(""));
    app.start();
    let acme = add_browser_company(&app, "Acme", &site.url("/acme/careers"));
    let beta = app.add_company("Beta", &site.url("/beta/careers"));
    let gamma = app.add_company("Gamma", &site.url("/gamma/careers"));
    app.wait_until("three scrapes", || app.jobs("completed").len() == 3);
    assert_eq!(
        titles(&app, &acme),
        ["Data Analyst", "Platform Engineer"],
        "{}",
        app.log()
    );
    assert_eq!(
        titles(&app, &beta),
        ["Designer"],
        "auto mode rendered the shell"
    );
    assert_eq!(titles(&app, &gamma), ["Static Engineer"]);
    // Only the pages that needed it were rendered; images never load.
    assert_eq!(site.hits("/acme/app.js"), 1);
    assert_eq!(
        site.hits("/beta/careers"),
        2,
        "HTTP first, then the browser"
    );
    assert_eq!(site.hits("/acme/logo.png") + site.hits("/beta/logo.png"), 0);
    // One browser served both renders.
    assert_eq!(launches(&app), 1, "{}", app.log());
    // A new posting drawn by the script is news.
    spa(
        &site,
        "acme",
        &[
            (101, "Platform Engineer"),
            (102, "Data Analyst"),
            (103, "SRE"),
        ],
    );
    app.json(&["jobs", "start", "Acme"]);
    app.wait_until("second scrape", || app.jobs("completed").len() == 4);
    let news: Vec<Value> = app.json(&["postings"]).as_array().unwrap().clone();
    assert_eq!(news.len(), 1, "{news:?}");
    assert_eq!(news[0]["title"], "SRE");
    // `scoutly check` renders as a scrape would.
    let report = app.json(&["check", &site.url("/beta/careers")]);
    assert_eq!(
        (report["mode"].as_str(), report["links"].as_u64()),
        (Some("browser"), Some(1)),
        "{report}"
    );
    let http = app.json(&["check", &site.url("/beta/careers"), "--mode", "http"]);
    assert_eq!(
        (http["mode"].as_str(), http["links"].as_u64()),
        (Some("http"), Some(0)),
        "{http}"
    );
    let bad = app.cli(&["check", &site.url("/beta/careers"), "--mode", "chrome"]);
    assert!(
        bad.code != 0 && bad.stderr.contains("auto, http, browser"),
        "{}",
        bad.stderr
    );
}

/// Processes whose command line names one of this appliance's browser
/// profiles.
fn chromium_pids(app_pid: u32) -> Vec<u32> {
    // Profiles are named `scoutly-chromium-{owner pid}.{its start time}-…`.
    let marker = format!("scoutly-chromium-{app_pid}.");
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(&marker))
                .unwrap_or(false)
        })
        .collect()
}

#[test]
fn the_browser_closes_when_idle_and_comes_back_after_a_crash() {
    let site = Site::start();
    spa(&site, "acme", &[(101, "Engineer")]);
    let mut app = Appliance::with_config(&config("idle_close = \"1s\"\n"));
    app.start();
    let pid = app.pid();
    add_browser_company(&app, "Acme", &site.url("/acme/careers"));
    app.wait_until("first scrape", || app.jobs("completed").len() == 1);
    app.wait_until("the idle browser closed", || chromium_pids(pid).is_empty());
    // Launched again on demand.
    app.json(&["jobs", "start", "Acme"]);
    app.wait_until("second scrape", || app.jobs("completed").len() == 2);
    assert_eq!(launches(&app), 2);
    app.stop();

    // Killed under the appliance, it is launched again for the next page.
    let mut app = Appliance::with_config(&config(""));
    app.start();
    let pid = app.pid();
    add_browser_company(&app, "Acme", &site.url("/acme/careers"));
    app.wait_until("first scrape", || app.jobs("completed").len() == 1);
    let running = chromium_pids(pid);
    assert!(!running.is_empty(), "the browser stays up while not idle");
    for p in running {
        unsafe_kill(p);
    }
    app.json(&["jobs", "start", "Acme"]);
    app.wait_until("second scrape", || app.jobs("completed").len() == 2);
    let jobs = app.jobs("completed");
    // Usually at its first attempt; a kill that races the job's start can
    // cost it one.
    assert!(
        jobs.iter().all(|j| j["attempt"].as_u64() <= Some(2)),
        "{jobs:?}\n{}",
        app.log()
    );
    assert_eq!(launches(&app), 2, "{}", app.log());
    assert!(app.log().contains("restarting the headless browser: it"));
}

fn unsafe_kill(pid: u32) {
    let _ = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status();
}

#[test]
fn browser_failures_are_classified_and_a_browser_held_back_defers_the_job() {
    let site = Site::start();
    site.set_page(
        "/gone/careers",
        Page {
            status: 404,
            body: "<h1>Not here</h1>".into(),
            ..Page::default()
        },
    );
    let mut app = Appliance::with_config(&config(""));
    app.start();
    add_browser_company(&app, "Gone", &site.url("/gone/careers"));
    app.wait_until("a 404", || {
        app.json(&["company", "show", "Gone"])["failures"]["byClass"]["http_4xx"] == 1
    });
    app.stop();

    let mut low = Appliance::with_config(&config("").replace("64MiB", "1000000GiB"));
    low.start();
    add_browser_company(&low, "Acme", &site.url("/gone/careers"));
    // Below the floor the controller allows no tab: the job waits for one,
    // and neither it nor the company counts a failure.
    low.wait_until("the job deferred", || {
        low.log().contains("job deferred by 300s")
    });
    let resources = low.json(&["status"])["resources"].clone();
    assert_eq!(resources["limits"]["tabs"], 0, "{resources}");
    let pending = low.jobs("pending");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["attempt"], 0, "{pending:?}");
    assert_eq!(pending[0]["error"], Value::Null, "{pending:?}");
    let show = low.json(&["company", "show", "Acme"]);
    assert_eq!(show["consecutiveFailures"], 0, "{show}");
    assert_eq!(launches(&low), 0);
}

#[test]
fn renders_keep_to_the_address_policy_and_the_page_timeout() {
    let site = Site::start();
    let private = Site::start_on("127.0.0.2");
    private.set("/router/admin", "secret".into());
    spa(&site, "acme", &[(101, "Engineer")]);
    // The page's scripts and frames also try a private address the
    // appliance may not use.
    site.set(
        "/acme/app2.js",
        format!(
            r#"fetch("{}").catch(() => {{}});"#,
            private.url("/router/admin")
        ),
    );
    site.set(
        "/acme/careers",
        format!(
            r#"<html><body><div id="root"></div><script src="/acme/app.js"></script>
            <script src="/acme/app2.js"></script><iframe src="{}"></iframe></body></html>"#,
            private.url("/router/admin")
        ),
    );
    site.set_page(
        "/acme/moved",
        Page {
            status: 302,
            location: Some(private.url("/router/admin")),
            ..Page::default()
        },
    );
    site.set_page(
        "/slow/careers",
        Page {
            body: "<html><body>slow</body></html>".into(),
            delay: std::time::Duration::from_secs(30),
            ..Page::default()
        },
    );
    let mut cfg = scoutly::config::Config::defaults();
    cfg.fetch.allow_private_targets = false;
    cfg.fetch.allowed_private = vec![site.addr];
    cfg.politeness.delay = std::time::Duration::ZERO;
    cfg.browser.network_idle = std::time::Duration::from_secs(1);
    cfg.browser.min_available_memory = 0;
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let fetcher = scoutly::fetch::Fetcher::new(&cfg).unwrap();
        let url = |p: &str| url::Url::parse(&site.url(p)).unwrap();
        let page = fetcher.render(&url("/acme/careers")).await.unwrap();
        let html = String::from_utf8(page.body).unwrap();
        assert!(html.contains("/acme/jobs/101"), "{html}");
        assert_eq!(private.hits("/router/admin"), 0);
        let moved = fetcher.render(&url("/acme/moved")).await.unwrap_err();
        assert_eq!(
            moved.class,
            scoutly::fetch::FailureClass::UnsafeRedirect,
            "{moved}"
        );
        assert_eq!(private.hits("/router/admin"), 0);
        fetcher.close_browser().await;
        // A page that never answers is cut off at browser.page_timeout.
        cfg.browser.page_timeout = std::time::Duration::from_secs(2);
        let fetcher = scoutly::fetch::Fetcher::new(&cfg).unwrap();
        let slow = fetcher.render(&url("/slow/careers")).await.unwrap_err();
        assert_eq!(slow.class, scoutly::fetch::FailureClass::Timeout, "{slow}");
        assert!(slow.to_string().contains("browser.page_timeout"), "{slow}");
        fetcher.close_browser().await;
    });
}

#[test]
fn a_configured_selector_is_waited_for_and_the_browser_restarts_after_n_pages() {
    let site = Site::start();
    // The links appear 6 s after load with no network traffic, long
    // after the network went idle.
    site.set(
        "/late/careers",
        r#"<html><body><div id="jobs"></div><script>
        setTimeout(() => {
          document.getElementById("jobs").innerHTML =
            ['101', '102'].map(id => '<a href="/late/' + 'jobs/' + id + '">Job</a>').join('');
        }, 6000);
        </script></body></html>"#
            .into(),
    );
    let mut cfg = scoutly::config::Config::defaults();
    cfg.fetch.allow_private_targets = true;
    cfg.politeness.delay = std::time::Duration::ZERO;
    cfg.browser.min_available_memory = 0;
    cfg.browser.network_idle = std::time::Duration::from_secs(10);
    cfg.browser.restart_after = 2;
    let url = url::Url::parse(&site.url("/late/careers")).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let render = |cfg: &scoutly::config::Config, times: usize| {
        rt.block_on(async {
            let fetcher = scoutly::fetch::Fetcher::new(cfg).unwrap();
            let mut html = String::new();
            for _ in 0..times {
                let page = fetcher.render(&url).await.unwrap();
                html = String::from_utf8(page.body).unwrap();
            }
            let launches = fetcher.browser_launches();
            fetcher.close_browser().await;
            (html, launches)
        })
    };
    let (idle_only, launches) = render(&cfg, 3);
    assert!(
        !idle_only.contains("/late/jobs/101"),
        "network idle came first"
    );
    assert_eq!(launches, 2, "restarted after restart_after = 2 pages");
    cfg.browser.wait_for = Some("#jobs a".into());
    let (waited, _) = render(&cfg, 1);
    assert!(waited.contains("/late/jobs/101"), "{waited}");
}
