//! A company's fetch health end to end on the real binary: robots.txt
//! attention items, failures by class in `company show` and the API,
//! conditional requests for unchanged pages, quarantine and resume.

mod common;

use common::Appliance;
use common::site::{Page, Site, careers_page};

#[test]
fn robots_forbidding_the_careers_page_needs_attention_and_is_counted() {
    let site = Site::start();
    site.set(
        "/robots.txt",
        "User-agent: scoutly\nDisallow: /acme/\n".into(),
    );
    site.set("/acme/careers", careers_page("acme", &[(1, "Engineer")]));
    let mut app = Appliance::new();
    app.start();
    app.add_company("Acme", &site.url("/acme/careers"));
    app.wait_until("a failed job", || app.jobs("failed").len() == 1);
    assert_eq!(site.hits("/acme/careers"), 0, "the page was never fetched");
    let job = &app.jobs("failed")[0];
    assert_eq!(job["attempt"], 1, "robots' no is not retried: {job}");
    let attention = app.json(&["attention"]);
    let reason = attention[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("robots.txt forbids") && reason.contains("Disallow: /acme/"),
        "{reason}"
    );
    let show = app.json(&["company", "show", "Acme"]);
    assert_eq!(show["failures"]["byClass"]["robots_denied"], 1, "{show}");
    assert_eq!(show["failures"]["recent"][0]["class"], "robots_denied");
    // The API shows the same to an admin.
    let admin = app.json(&["user", "add", "root", "--admin"]);
    let (code, body) = app.http("GET", "/api/companies/1", admin["token"].as_str(), None);
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["failures"]["byClass"]["robots_denied"], 1, "{body}");
}

#[test]
fn an_unchanged_page_answers_304_and_costs_no_new_postings() {
    let site = Site::start();
    let page = |jobs: &[(u32, &str)], etag: &str| Page {
        body: careers_page("acme", jobs),
        headers: vec![("etag".into(), etag.into())],
        ..Page::default()
    };
    site.set_page("/acme/careers", page(&[(1, "Engineer")], "\"v1\""));
    let mut app = Appliance::new();
    app.start();
    app.add_company("Acme", &site.url("/acme/careers"));
    app.wait_until("baseline", || app.jobs("completed").len() == 1);
    app.json(&["jobs", "start", "Acme"]);
    app.wait_until("second scrape", || app.jobs("completed").len() == 2);
    let seen: Vec<_> = site
        .log()
        .into_iter()
        .filter(|h| h.path == "/acme/careers")
        .collect();
    assert_eq!(seen[1].if_none_match.as_deref(), Some("\"v1\""));
    assert_eq!(seen[1].status, 304);
    // A changed page (new ETag) is read in full again.
    site.set_page(
        "/acme/careers",
        page(&[(1, "Engineer"), (2, "Designer")], "\"v2\""),
    );
    app.json(&["jobs", "start", "Acme"]);
    app.wait_until("third scrape", || app.jobs("completed").len() == 3);
    let postings = app.json(&["postings", "--all"]);
    let titles: Vec<&str> = postings
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["baseline"] == false)
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Designer"]);
}

#[test]
fn a_failing_host_opens_its_circuit_until_quarantined_then_resume_clears_it() {
    let site = Site::start();
    site.set_page(
        "/down/careers",
        Page {
            status: 500,
            body: "down".into(),
            ..Page::default()
        },
    );
    let config = format!(
        "{}\n[breaker]\nfailures = 1\ncool_off = \"300ms\"\n[quarantine]\nafter_opens = 2\n",
        common::FAST_CONFIG
    );
    let mut app = Appliance::with_config(&config);
    app.start();
    app.add_company("Down", &site.url("/down/careers"));
    app.wait_until("quarantine", || {
        app.json(&["company", "show", "Down"])["state"] == "quarantined"
    });
    let show = app.json(&["company", "show", "Down"]);
    assert_eq!(show["failures"]["circuitOpens"], 2, "{show}");
    assert!(show["failures"]["byClass"]["http_5xx"].as_u64().unwrap() >= 2);
    let attention = app.json(&["attention"]);
    let reason = attention[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("quarantined") && reason.contains("500"),
        "{reason}"
    );
    assert!(reason.contains("--resume"), "{reason}");
    // `scoutly status` says so at a glance, with the company and its error.
    let status = app.cli(&["status"]).stdout;
    assert!(status.contains("health:    ATTENTION ("), "{status}");
    assert!(status.contains("  ATTENTION Down: "), "{status}");
    assert!(status.contains("last errors:\n"), "{status}");
    assert!(
        !status.contains('\x1b'),
        "no colours when not on a terminal"
    );
    // Quarantined: no more scheduled jobs, however many passes run.
    let hits = site.hits("/down/careers");
    let mut passes = std::collections::HashSet::new();
    app.wait_until("three more scheduler passes", || {
        passes.insert(app.json(&["status"])["scheduler"]["lastPass"].to_string());
        passes.len() > 3
    });
    assert_eq!(site.hits("/down/careers"), hits);
    assert!(app.jobs("pending").is_empty());

    site.set("/down/careers", careers_page("down", &[(1, "Engineer")]));
    let resumed = app.json(&["company", "set", "Down", "--resume"]);
    assert_eq!(resumed["state"], "healthy", "{resumed}");
    assert_eq!(count_attention(&app), 0);
    app.wait_until("a successful scrape", || !app.jobs("completed").is_empty());
    let show = app.json(&["company", "show", "Down"]);
    assert_eq!(show["failures"]["circuitOpens"], 0);
    assert!(show["failures"]["failingSince"].is_null());
}

fn count_attention(app: &Appliance) -> usize {
    app.json(&["attention"]).as_array().map_or(0, Vec::len)
}

#[test]
fn check_explains_a_scrape_without_storing_anything() {
    let site = Site::start();
    site.set(
        "/robots.txt",
        "User-agent: scoutly\nDisallow: /private\n".into(),
    );
    site.set("/private/careers", careers_page("acme", &[(1, "Engineer")]));
    site.set("/acme/careers", careers_page("acme", &[(1, "Engineer")]));
    let mut app = Appliance::new();
    // Without the appliance: a URL nobody tracks.
    let forbidden = app.json(&["check", &site.url("/private/careers")]);
    assert_eq!(forbidden["robots"]["allowed"], false, "{forbidden}");
    assert_eq!(forbidden["robots"]["rule"], "Disallow: /private");
    assert_eq!(forbidden["robots"]["status"], 200);
    assert_eq!(forbidden["error"]["class"], "robots_denied");
    assert!(forbidden["status"].is_null());
    assert_eq!(site.hits("/private/careers"), 0, "the page was not fetched");

    app.start();
    app.add_company("Acme", &site.url("/acme/careers"));
    app.wait_until("baseline", || app.jobs("completed").len() == 1);
    site.set(
        "/acme/careers",
        careers_page("acme", &[(1, "Engineer"), (2, "Designer")]),
    );
    // Through the running appliance: compared with Acme's snapshot.
    let checked = app.json(&["check", &site.url("/acme/careers")]);
    assert_eq!(checked["robots"]["allowed"], true, "{checked}");
    assert!(checked["robots"]["rule"].is_null());
    assert_eq!(checked["status"], 200);
    assert_eq!(checked["mode"], "http");
    assert!(checked["backend"].is_null());
    assert_eq!(checked["links"], 2);
    assert_eq!(checked["sample"][1]["title"], "Designer");
    assert!(checked["error"].is_null());
    assert_eq!(checked["company"]["name"], "Acme");
    let new = checked["new"].as_array().unwrap();
    assert_eq!(new.len(), 1, "{checked}");
    assert!(new[0].as_str().unwrap().contains("/acme/jobs/2-designer"));
    // Nothing was stored: the posting is still to be found by a scrape.
    let postings = app.json(&["postings"]);
    assert_eq!(postings.as_array().unwrap().len(), 0, "{postings}");
    let text = app.cli(&["check", &site.url("/acme/careers")]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(
        text.stdout.contains("1 new against its snapshot"),
        "{}",
        text.stdout
    );
    let bad = app.cli(&["check", "ftp://x"]);
    assert_ne!(bad.code, 0);
    assert!(bad.stderr.contains("not an http(s) URL"), "{}", bad.stderr);
}
