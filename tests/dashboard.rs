//! The built-in dashboard: its sign-in and cookie rules over plain HTTP,
//! and the whole flow in real headless Chromium (Debian's `chromium`,
//! driven with chromiumoxide) against the real binary and a fixture
//! careers site. Screenshots of each page are kept in
//! `target/tmp/dashboard/` (`CARGO_TARGET_TMPDIR`).

mod common;

use std::path::PathBuf;

use chromiumoxide::cdp::browser_protocol::emulation::SetDeviceMetricsOverrideParams;
use chromiumoxide::cdp::browser_protocol::page::CaptureScreenshotFormat;
use chromiumoxide::cdp::js_protocol::runtime::EvaluateParams;
use chromiumoxide::page::ScreenshotParams;
use chromiumoxide::{Browser, BrowserConfig, Page};
use common::site::{self, Site, careers_page};
use common::{Appliance, request};
use futures::StreamExt;
use serde_json::Value;

struct World {
    app: Appliance,
    site: Site,
    ann: String,
    ids: std::collections::HashMap<&'static str, u64>,
}

/// Ann tracks Acme (rank 90) and Broken (rank 1); Bob tracks Globex.
/// Returns once the three baselines are recorded.
fn world() -> World {
    let site = Site::start();
    site.set(
        "/acme/careers",
        careers_page("acme", &[(1, "Backend Engineer"), (2, "Designer")]),
    );
    site.set("/globex/careers", careers_page("globex", &[(7, "Analyst")]));
    site.set("/broken/careers", careers_page("broken", &[(9, "Tester")]));
    let mut app = Appliance::new();
    app.start();
    let added = app.json(&["user", "add", "ann"]);
    let ann = added["token"].as_str().unwrap().to_string();
    app.json(&["user", "add", "bob"]);
    let mut ids = std::collections::HashMap::new();
    for (name, path, user) in [
        ("Acme", "/acme/careers", Some(("ann", "90"))),
        ("Broken", "/broken/careers", Some(("ann", "1"))),
        ("Globex", "/globex/careers", Some(("bob", "40"))),
    ] {
        let url = site.url(path);
        let mut args = vec!["company", "add", "--name", name, "--url", &url];
        if let Some((u, r)) = user {
            args.extend(["--user", u, "--rank", r]);
        }
        let c = app.json(&args);
        ids.insert(name, c["id"].as_u64().unwrap());
    }
    app.wait_until("the baselines", || app.jobs("completed").len() == 3);
    World {
        app,
        site,
        ann,
        ids,
    }
}

fn cookie(token: &str) -> Vec<(String, String)> {
    vec![("Cookie".into(), format!("scoutly_token={token}"))]
}

#[test]
fn sign_in_sets_a_strict_cookie_and_pages_escape_what_users_typed() {
    let w = world();
    let addr = w.app.addr.unwrap();
    // Without a session every page sends the browser to sign in.
    let (code, head, _) = request(addr, "GET", "/companies", &[], None);
    assert_eq!(code, 303, "{head}");
    assert!(head.to_lowercase().contains("location: /signin"), "{head}");

    let form = |token: &str| format!("token={token}");
    let (code, _, body) = request(addr, "POST", "/signin", &[], Some(&form("sct_00")));
    assert_eq!(code, 401);
    assert!(body.as_str().unwrap().contains("unknown or revoked token"));
    let (code, _, body) = request(addr, "POST", "/signin", &[], Some(&form("a%3Bb")));
    assert_eq!(code, 401);
    assert!(body.as_str().unwrap().contains("not a Scoutly token"));
    // A form posted from another site is refused.
    let evil = vec![("Origin".into(), "http://evil.example".into())];
    let (code, _, _) = request(addr, "POST", "/signin", &evil, Some(&form(&w.ann)));
    assert_eq!(code, 403);

    let (code, head, _) = request(addr, "POST", "/signin", &[], Some(&form(&w.ann)));
    assert_eq!(code, 303, "{head}");
    let set = head
        .lines()
        .find(|l| l.to_lowercase().starts_with("set-cookie:"))
        .unwrap_or_else(|| panic!("no cookie: {head}"));
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(attr), "{set}");
    }
    assert!(!set.contains("Secure"), "plain HTTP: {set}");
    let tunnel = vec![("X-Forwarded-Proto".into(), "https".into())];
    let (_, head, _) = request(addr, "POST", "/signin", &tunnel, Some(&form(&w.ann)));
    assert!(head.contains("; Secure"), "behind an HTTPS tunnel: {head}");

    // The cookie reads the API, but cannot change anything without the
    // dashboard's header (what a cross-site form could never add).
    let (code, _, body) = request(addr, "GET", "/api/preferences", &cookie(&w.ann), None);
    assert_eq!(code, 200, "{body}");
    let acme = w.ids["Acme"];
    let start = format!(r#"{{"companyId":{acme}}}"#);
    let (code, _, body) = request(
        addr,
        "POST",
        "/api/scraping/start",
        &cookie(&w.ann),
        Some(&start),
    );
    assert_eq!(code, 403, "{body}");
    for (method, path, body) in [
        (
            "PUT",
            format!("/api/preferences/{acme}"),
            Some(r#"{"rank":5}"#),
        ),
        ("DELETE", format!("/api/preferences/{acme}"), None),
        (
            "PATCH",
            format!("/api/companies/{acme}"),
            Some(r#"{"resume":true}"#),
        ),
    ] {
        let (code, _, body) = request(addr, method, &path, &cookie(&w.ann), body);
        assert_eq!(code, 403, "{method} {path} with the cookie alone: {body}");
    }
    // API clients with a bearer token need no such header.
    let (code, body) = w.app.http(
        "PUT",
        &format!("/api/preferences/{acme}"),
        Some(&w.ann),
        Some(r#"{"rank":90}"#),
    );
    assert_eq!(code, 200, "{body}");
    // Ann sees her companies' jobs, not Globex's (tracked by Bob only).
    let (_, _, jobs) = request(addr, "GET", "/jobs", &cookie(&w.ann), None);
    let jobs = jobs.as_str().unwrap();
    assert!(jobs.contains("Acme") && !jobs.contains("Globex"), "{jobs}");
    let (_, _, body) = request(addr, "POST", "/api/scraping/start", &cookie(&w.ann), None);
    assert!(
        body.to_string().contains("must come from the dashboard"),
        "{body}"
    );
    let mut with_header = cookie(&w.ann);
    with_header.push(("X-Scoutly-Dashboard".into(), "1".into()));
    let (code, _, body) = request(
        addr,
        "POST",
        "/api/scraping/start",
        &with_header,
        Some(&start),
    );
    assert_eq!(code, 202, "{body}");

    // A name with markup is shown as text: in the table, in attributes and
    // in the live panel's JSON (its page is slow, so its job is active).
    let hostile = r#"</script><script>alert(1)</script> "qx7" & Co"#;
    w.site
        .set("/slow/careers", careers_page("slow", &[(1, "Cook")]));
    w.site
        .set_delay("/slow/careers", std::time::Duration::from_secs(5));
    let slow = w.app.json(&[
        "company",
        "add",
        "--name",
        hostile,
        "--url",
        &w.site.url("/slow/careers"),
        "--user",
        "ann",
        "--rank",
        "50",
    ])["id"]
        .as_u64()
        .unwrap();
    w.app.wait_until("its job running", || {
        w.app
            .jobs("in_progress")
            .iter()
            .any(|j| j["companyId"].as_u64() == Some(slow))
    });
    let (code, head, body) = request(addr, "GET", "/companies", &cookie(&w.ann), None);
    assert_eq!(code, 200);
    let page = body.as_str().unwrap();
    assert!(
        page.contains(r#"<li data-job="#),
        "the slow job is in the panel"
    );
    assert!(
        page.contains(
            "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &quot;qx7&quot; &amp; Co"
        )
    );
    assert!(
        page.contains(r"\u003c/script\u003e\u003cscript\u003ealert(1)"),
        "{page}"
    );
    assert!(!page.contains("alert(1)</script>"));
    let quoted = page
        .find(r#""qx7""#)
        .map(|i| &page[i.saturating_sub(80)..(i + 40).min(page.len())]);
    assert_eq!(quoted, None, "a quote in an attribute");
    assert!(
        head.to_lowercase().contains("content-security-policy"),
        "{head}"
    );
    for path in [
        "/",
        "/jobs",
        "/postings",
        "/attention",
        "/assets/app.js",
        "/assets/style.css",
    ] {
        let (code, _, _) = request(addr, "GET", path, &cookie(&w.ann), None);
        assert_eq!(code, 200, "{path}");
    }
    // Signing out clears the cookie.
    let (code, head, _) = request(addr, "POST", "/signout", &cookie(&w.ann), None);
    assert_eq!(code, 303);
    assert!(head.contains("Max-Age=0"), "{head}");
}

// ---- the browser ----

fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Debian's `chromium` on `PATH` (the test command installs it).
fn chromium() -> PathBuf {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join("chromium"))
        .find(|p| p.is_file())
        .expect("chromium is on PATH (apt-get install chromium)")
}

/// Headless Chromium with a fresh profile, and the task carrying its
/// DevTools connection.
struct Chrome {
    browser: Browser,
    handler: tokio::task::JoinHandle<()>,
    _profile: tempfile::TempDir,
}

impl Chrome {
    async fn launch() -> Chrome {
        let profile = tempfile::tempdir().unwrap();
        let running_as_root = unsafe { libc::geteuid() } == 0;
        let mut config = BrowserConfig::builder()
            .chrome_executable(chromium())
            .user_data_dir(profile.path())
            .window_size(1280, 900)
            .viewport(None)
            .args([
                "disable-gpu",
                "disable-quic",
                "no-first-run",
                "disable-background-networking",
                "disable-component-update",
                "disable-sync",
                "disable-dev-shm-usage",
            ]);
        if running_as_root {
            config = config.no_sandbox();
        }
        let (browser, mut handler) = Browser::launch(config.build().unwrap())
            .await
            .expect("chromium starts (apt-get install chromium)");
        let handler = tokio::spawn(async move { while handler.next().await.is_some() {} });
        Chrome {
            browser,
            handler,
            _profile: profile,
        }
    }

    async fn close(mut self) {
        self.browser.close().await.unwrap();
        let _ = self.browser.wait().await;
        self.handler.abort();
    }
}

/// The runtime a browser test drives Chromium from.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// From the sign-in form, typing the token, to the overview caught up with
/// its live updates.
async fn sign_in(page: &Page, token: &str) {
    until(page, "the sign-in form", "document.querySelector('#token')").await;
    page.find_element("#token")
        .await
        .unwrap()
        .click()
        .await
        .unwrap()
        .type_str(token)
        .await
        .unwrap()
        .press_key("Enter")
        .await
        .unwrap();
    until(
        page,
        "the overview",
        "document.title.startsWith('Overview')",
    )
    .await;
    settled(page).await;
}

/// Wait until the JavaScript condition `cond` holds in the page: checked
/// at every change of the document (no polling), failing after 20 s.
async fn until(page: &Page, what: &str, cond: &str) {
    let js = format!(
        r#"new Promise((resolve) => {{
            const check = () => {{ try {{ return !!({cond}); }} catch (_) {{ return false; }} }};
            if (check()) return resolve(true);
            const seen = new MutationObserver(() => {{ if (check()) {{ seen.disconnect(); resolve(true); }} }});
            seen.observe(document, {{ subtree: true, childList: true, attributes: true, characterData: true }});
            setTimeout(() => {{ seen.disconnect(); resolve(check()); }}, 20000);
        }})"#
    );
    let params = EvaluateParams::builder()
        .expression(js)
        .await_promise(true)
        .return_by_value(true)
        .build()
        .unwrap();
    // A navigation under way replaces the document the promise waits in:
    // wait for it to finish, then ask the new one.
    let mut tries = 0;
    let ok: bool = loop {
        match page.evaluate(params.clone()).await {
            Ok(v) => break v.into_value().unwrap_or(false),
            Err(e) if tries < 5 => {
                tries += 1;
                eprintln!("waiting for {what}: {e}; the page is navigating");
                let _ = page.wait_for_navigation().await;
            }
            Err(e) => panic!("waiting for {what}: {e}"),
        }
    };
    if !ok {
        let html: String = page
            .evaluate("document.body ? document.body.innerHTML : ''")
            .await
            .ok()
            .and_then(|v| v.into_value().ok())
            .unwrap_or_default();
        panic!("timed out waiting for {what}\n--- page ---\n{html}");
    }
}

/// Click the element `selector` finds, as a mouse would.
async fn click(page: &Page, selector: impl Into<String>) {
    page.find_element(selector)
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn text(page: &Page, expr: &str) -> String {
    page.evaluate(expr)
        .await
        .unwrap()
        .into_value::<String>()
        .unwrap_or_default()
}

async fn shot(page: &Page, name: &str) {
    let params = ScreenshotParams::builder()
        .format(CaptureScreenshotFormat::Png)
        .full_page(true)
        .build();
    page.save_screenshot(params, artifacts().join(format!("{name}.png")))
        .await
        .unwrap();
}

/// Open `path` and wait until the page's live updates are connected and
/// it has caught up with them (a redraw replaces the live sections, and
/// with them any element found before).
async fn open(page: &Page, base: &str, path: &str) {
    page.goto(format!("{base}{path}")).await.unwrap();
    settled(page).await;
}

async fn settled(page: &Page) {
    until(
        page,
        "the live connection, caught up",
        "document.body.dataset.live === 'on' && document.body.dataset.synced",
    )
    .await;
}

fn preference(w: &World, company: &str) -> Option<Value> {
    let (_, prefs) = w.app.http("GET", "/api/preferences", Some(&w.ann), None);
    let id = w.ids[company];
    prefs
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["companyId"].as_u64() == Some(id))
        .cloned()
}

#[test]
fn the_dashboard_in_a_real_browser() {
    let w = world();
    let base = format!("http://{}", w.app.addr.unwrap());
    runtime().block_on(async {
        let chrome = Chrome::launch().await;
        let page = chrome.browser.new_page(format!("{base}/")).await.unwrap();

        // Sign in.
        until(&page, "the sign-in form", "document.querySelector('#token')").await;
        assert!(page.url().await.unwrap().unwrap().ends_with("/signin"));
        shot(&page, "1-signin").await;
        sign_in(&page, &w.ann).await;
        let health = text(&page, "document.querySelector('#health').innerText").await;
        assert!(health.contains("running"), "{health}");
        shot(&page, "2-overview").await;

        // Track Globex with its switch.
        open(&page, &base, "/companies").await;
        let globex = w.ids["Globex"];
        assert_eq!(preference(&w, "Globex"), None);
        click(&page, format!("#track-{globex}")).await;
        until(
            &page,
            "Globex saved as tracked",
            &format!("document.querySelector('tr[data-company=\"{globex}\"]').dataset.saved === 'true'"),
        )
        .await;
        let pref = preference(&w, "Globex").expect("Globex is tracked now");
        assert_eq!(pref["tracking"], true, "{pref}");

        // Move Acme's rank slider from the keyboard: Home is rank 1.
        let acme = w.ids["Acme"];
        let slider = page.find_element(format!("#rank-{acme}")).await.unwrap();
        slider.focus().await.unwrap();
        slider.press_key("Home").await.unwrap();
        until(
            &page,
            "Acme's rank saved",
            &format!("document.querySelector('tr[data-company=\"{acme}\"]').dataset.savedRank === '1'"),
        )
        .await;
        let shown = text(&page, &format!("document.querySelector('#interval-{acme}').textContent")).await;
        assert!(shown.starts_with("rank 1, every "), "{shown}");
        assert_eq!(preference(&w, "Acme").unwrap()["rank"], 1);

        // A new posting appears; start a scrape and watch it to 100 %.
        w.site.set(
            "/acme/careers",
            careers_page(
                "acme",
                &[(1, "Backend Engineer"), (2, "Designer"), (3, "Staff Engineer")],
            ),
        );
        click(&page, format!("tr[data-company=\"{acme}\"] button.start")).await;
        let row = format!("#active-list li[data-company=\"{acme}\"]");
        until(&page, "Acme's job in the live panel", &format!("document.querySelector('{row}')")).await;
        until(
            &page,
            "Acme's progress bar at 100 %",
            &format!(
                "document.querySelector('{row} progress').value === 100 && document.querySelector('{row}').dataset.status === 'completed'"
            ),
        )
        .await;
        let note = text(&page, &format!("document.querySelector('{row} .job-note').textContent")).await;
        assert_eq!(note, "1 new posting");
        shot(&page, "3-companies").await;

        // Its link leads to the new posting.
        click(&page, format!("{row} .job-note a")).await;
        page.wait_for_navigation().await.unwrap();
        until(&page, "the postings page", "document.title.startsWith('Postings')").await;
        let listed = text(&page, "document.querySelector('#postings').innerText").await;
        assert!(listed.contains("Staff Engineer"), "{listed}");
        assert!(!listed.contains("Backend Engineer"), "baseline postings are not new: {listed}");
        shot(&page, "4-postings").await;

        // A scrape that fails, then a retry from the jobs page.
        w.site.set_page(
            "/broken/careers",
            site::Page {
                status: 500,
                body: "down".into(),
                ..Default::default()
            },
        );
        open(&page, &base, "/companies").await;
        let broken = w.ids["Broken"];
        click(&page, format!("tr[data-company=\"{broken}\"] button.start")).await;
        let row = format!("#active-list li[data-company=\"{broken}\"]");
        until(
            &page,
            "Broken's job failed",
            &format!("document.querySelector('{row}')?.dataset.status === 'failed'"),
        )
        .await;
        let failed = text(&page, &format!("document.querySelector('{row}').dataset.job")).await;
        open(&page, &base, "/jobs?status=failed").await;
        shot(&page, "5-jobs").await;
        let failures = || {
            w.site
                .log()
                .iter()
                .filter(|h| h.path == "/broken/careers" && h.status == 500)
                .count()
        };
        let before = failures();
        click(&page, format!("button.retry[data-job=\"{failed}\"]")).await;
        until(
            &page,
            "the retry confirmed",
            "document.querySelector('#notice').textContent.includes('queued again')",
        )
        .await;
        w.app.wait_until("the retried scrape", || failures() > before);

        // Attention, and the overview as a phone shows it.
        open(&page, &base, "/attention").await;
        let heading = text(&page, "document.querySelector('h1').textContent").await;
        assert_eq!(heading, "Attention");
        shot(&page, "6-attention").await;
        page.execute(SetDeviceMetricsOverrideParams::new(390, 844, 2.0, true))
            .await
            .unwrap();
        open(&page, &base, "/").await;
        // Readable on a phone: nothing wider than the screen (wide tables
        // scroll inside their own box).
        let width: i64 = page
            .evaluate("document.documentElement.scrollWidth")
            .await
            .unwrap()
            .into_value()
            .unwrap();
        assert!(width <= 390, "the page is {width} px wide on a 390 px screen");
        shot(&page, "7-overview-phone").await;

        chrome.close().await;
    });
}

#[test]
fn an_admin_resumes_a_quarantined_company_from_the_attention_page() {
    let site = Site::start();
    site.set_page(
        "/down/careers",
        site::Page {
            status: 500,
            body: "down".into(),
            ..Default::default()
        },
    );
    let config = format!(
        "{}\n[breaker]\nfailures = 1\ncool_off = \"300ms\"\n[quarantine]\nafter_opens = 2\n",
        common::FAST_CONFIG
    );
    let mut app = Appliance::with_config(&config);
    app.start();
    let root = app.json(&["user", "add", "root", "--admin"])["token"]
        .as_str()
        .unwrap()
        .to_string();
    let down = app.add_company("Down", &site.url("/down/careers"))["id"]
        .as_u64()
        .unwrap();
    app.wait_until("quarantine", || {
        app.json(&["company", "show", "Down"])["state"] == "quarantined"
    });
    site.set("/down/careers", careers_page("down", &[(1, "Engineer")]));
    let base = format!("http://{}", app.addr.unwrap());
    runtime().block_on(async {
        let chrome = Chrome::launch().await;
        let page = chrome.browser.new_page(format!("{base}/signin")).await.unwrap();
        sign_in(&page, &root).await;
        open(&page, &base, "/attention").await;
        let row = format!("#attention tr[data-company=\"{down}\"]");
        let shown = text(&page, &format!("document.querySelector('{row}').innerText")).await;
        assert!(
            shown.contains("quarantined") && shown.contains("500"),
            "{shown}"
        );
        shot(&page, "8-attention-admin").await;
        let redrawn = text(&page, "document.body.dataset.redrawn || '0'").await;
        click(&page, format!("{row} button.resume")).await;
        until(
            &page,
            "the resume confirmed",
            "document.querySelector('#notice').textContent.startsWith('Resumed')",
        )
        .await;
        // The section is drawn again without the company.
        until(
            &page,
            "Down gone from the attention list",
            &format!(
                "document.querySelector('#attention') && document.body.dataset.redrawn !== '{redrawn}' && !document.querySelector('{row}')"
            ),
        )
        .await;
        chrome.close().await;
    });
    assert_ne!(
        app.json(&["company", "show", "Down"])["state"],
        "quarantined"
    );
    app.wait_until("a successful scrape", || !app.jobs("completed").is_empty());
}

#[test]
fn the_company_grid_sorts_and_filters_and_keeps_the_choice_in_the_url() {
    let site = Site::start();
    site.set_page(
        "/beta/careers",
        site::Page {
            status: 500,
            body: "down".into(),
            ..Default::default()
        },
    );
    for name in ["alpha", "gamma"] {
        site.set(
            &format!("/{name}/careers"),
            careers_page(name, &[(1, "Engineer")]),
        );
    }
    // Beta is quarantined after two open circuits: a state that holds.
    let config = format!(
        "{}\n[breaker]\nfailures = 1\ncool_off = \"300ms\"\n[quarantine]\nafter_opens = 2\n",
        common::FAST_CONFIG
    );
    let mut app = Appliance::with_config(&config);
    app.start();
    let root = app.json(&["user", "add", "root", "--admin"])["token"]
        .as_str()
        .unwrap()
        .to_string();
    for name in ["Alpha", "Beta", "Gamma"] {
        app.add_company(
            name,
            &site.url(&format!("/{}/careers", name.to_lowercase())),
        );
    }
    app.wait_until("Beta quarantined", || {
        app.json(&["company", "show", "Beta"])["state"] == "quarantined"
    });
    let beta_state = "quarantined";
    let base = format!("http://{}", app.addr.unwrap());
    let order = "[...document.querySelectorAll('#companies tbody .company-name')].map(e => e.textContent).join(',')";
    runtime().block_on(async {
        let chrome = Chrome::launch().await;
        let page = chrome
            .browser
            .new_page(format!("{base}/signin"))
            .await
            .unwrap();
        sign_in(&page, &root).await;
        open(&page, &base, "/companies").await;
        assert_eq!(text(&page, order).await, "Alpha,Beta,Gamma");

        // A click on the column's name sorts by it, failing first.
        click(&page, "#companies thead a[data-sort=failures]").await;
        until(
            &page,
            "sorted by failures",
            "location.search.includes('sort=failures')",
        )
        .await;
        settled(&page).await;
        assert!(text(&page, order).await.starts_with("Beta,"));
        let sorted = text(&page, "location.href").await;
        assert!(sorted.contains("dir=desc"), "{sorted}");
        assert_eq!(
            text(&page, "document.querySelector('th[aria-sort]').innerText").await,
            "Failures ▼"
        );
        shot(&page, "9-companies-sorted").await;

        // The state filter keeps the order, and the URL holds both.
        page.evaluate(format!(
            "document.querySelector('#state').value = '{beta_state}'"
        ))
        .await
        .unwrap();
        click(&page, "form.filters button[type=submit]").await;
        until(
            &page,
            "filtered by state",
            &format!("location.search.includes('state={beta_state}')"),
        )
        .await;
        settled(&page).await;
        assert_eq!(text(&page, order).await, "Beta");
        let filtered = text(&page, "location.href").await;
        assert!(filtered.contains("sort=failures"), "{filtered}");

        // The URL alone brings the same grid back.
        open(&page, &base, &filtered.replace(&base, "")).await;
        assert_eq!(text(&page, order).await, "Beta");
        assert_eq!(
            text(&page, "document.querySelector('#state').value").await,
            beta_state
        );
        shot(&page, "10-companies-filtered").await;

        // The analytics page draws what the scrapes did as inline SVG.
        open(&page, &base, "/stats").await;
        let bars = "document.querySelectorAll('#chart-jobs rect.bar-ok').length";
        let ok: u64 = page.evaluate(bars).await.unwrap().into_value().unwrap();
        assert!(ok >= 1, "a bar for the completed baselines");
        let finished = text(
            &page,
            "document.querySelector('#stats-totals dd').innerText",
        )
        .await;
        assert!(finished.parse::<u64>().unwrap() >= 2, "{finished}");
        let errors = text(
            &page,
            "document.querySelector('#stats-errors tbody').innerText",
        )
        .await;
        assert!(
            errors.contains("http_5xx"),
            "Beta's failures by class: {errors}"
        );
        assert_eq!(
            text(
                &page,
                "document.querySelector('#stats-companies tbody th').innerText"
            )
            .await,
            "Beta",
            "the company failing most comes first"
        );
        assert!(
            text(
                &page,
                "document.querySelector('#chart-jobs svg').getAttribute('aria-label')"
            )
            .await
            .starts_with("Jobs completed and failed: ")
        );
        shot(&page, "11-stats").await;
        page.evaluate("document.querySelector('#range').value = '7d'")
            .await
            .unwrap();
        click(&page, "form.filters button[type=submit]").await;
        until(&page, "a week", "location.search.includes('range=7d')").await;
        settled(&page).await;
        assert!(
            text(&page, "document.querySelector('#stats-scope').innerText")
                .await
                .starts_with("all companies, per hour")
        );
        click(&page, "#stats-companies tbody th a").await;
        until(
            &page,
            "Beta's own stats",
            "location.search.includes('company=')",
        )
        .await;
        settled(&page).await;
        let scope = text(&page, "document.querySelector('#stats-scope').innerText").await;
        assert!(scope.starts_with("Beta, per hour"), "{scope}");
        assert!(text(&page, "location.search").await.contains("range=7d"));
        shot(&page, "12-stats-company").await;
        chrome.close().await;
    });
}
