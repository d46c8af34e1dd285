//! End to end on the real binary: fixture careers sites on 127.0.0.1, the
//! CLI, the admin socket and the HTTP API.

mod common;

use common::Appliance;
use common::site::{Site, careers_page};
use serde_json::Value;

fn count(v: &Value) -> usize {
    v.as_array().map_or(0, Vec::len)
}

/// Add Acme and a user tracking it; returns the user's token.
fn setup(app: &Appliance, site: &Site) -> String {
    let c = app.json(&[
        "company",
        "add",
        "--name",
        "Acme",
        "--url",
        &site.url("/acme/careers"),
    ]);
    assert_eq!(c["name"], "Acme");
    assert_eq!(c["state"], "healthy");
    let u = app.json(&["user", "add", "ann"]);
    let token = u["token"].as_str().unwrap().to_string();
    assert!(token.len() >= 64);
    let p = app.json(&[
        "track",
        "--user",
        "ann",
        "--company",
        "Acme",
        "--rank",
        "80",
    ]);
    assert_eq!(p["rank"], 80);
    token
}

#[test]
fn one_new_posting_with_the_appliance_running() {
    let site = Site::start();
    site.set(
        "/acme/careers",
        careers_page("acme", &[(1, "Backend Engineer"), (2, "Data Analyst")]),
    );
    let mut app = Appliance::new();
    app.start();
    let token = setup(&app, &site);

    // The first scheduler pass scrapes the never-scraped company: a baseline.
    app.wait_until("baseline scrape", || {
        count(&Value::Array(app.jobs("completed"))) == 1
    });
    let all = app.json(&["postings", "--all"]);
    assert_eq!(count(&all), 2, "{all}");
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .all(|p| p["baseline"] == true)
    );
    assert_eq!(count(&app.json(&["postings"])), 0);

    // A new job link appears; a manual scrape finds exactly it.
    site.set(
        "/acme/careers",
        careers_page(
            "acme",
            &[
                (1, "Backend Engineer"),
                (2, "Data Analyst"),
                (3, "Site Reliability Engineer"),
            ],
        ),
    );
    let started = app.json(&["jobs", "start", "Acme"]);
    assert_eq!(started["created"], true);
    assert_eq!(started["job"]["source"], "manual");
    app.wait_until("manual scrape", || app.jobs("completed").len() == 2);

    let new = app.json(&["postings", "--user", "ann"]);
    assert_eq!(count(&new), 1, "{new}");
    let p = &new[0];
    assert_eq!(
        p["url"],
        site.url("/acme/jobs/3-site-reliability-engineer"),
        "tracking params dropped"
    );
    assert_eq!(p["title"], "Site Reliability Engineer");
    assert_eq!(p["baseline"], false);

    let (status, body) = app.http("GET", "/api/postings", Some(&token), None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["count"], 1, "{body}");
    assert_eq!(body["postings"][0]["url"], p["url"]);

    // Scraping again finds nothing new: a link is new exactly once.
    let again = app.json(&["jobs", "start", "1"]);
    assert_eq!(again["created"], true);
    app.wait_until("third scrape", || app.jobs("completed").len() == 3);
    assert_eq!(count(&app.json(&["postings"])), 1);
    let last = &app.jobs("completed")[0];
    assert_eq!(last["newLinks"], 0);
    assert_eq!(
        last["linksFound"], 3,
        "navigation, team and social links are not jobs"
    );

    // Status over HTTP and as text.
    let (code, status) = app.http("GET", "/status", None, None);
    assert_eq!(code, 200);
    assert_eq!(status["running"], true);
    assert_eq!(status["queue"]["completed"], 3);
    assert_eq!(status["postings"]["newLast24h"], 1);
    assert!(
        !status.to_string().contains("Site Reliability"),
        "the token-free /status shows no posting titles: {status}"
    );
    let text = app.cli(&["status"]);
    assert!(text.stdout.contains("running (PID"), "{}", text.stdout);
    assert!(text.stdout.contains("3 completed"), "{}", text.stdout);
    let files = app.data_dir().join("run");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(files.join("scoutly.sock"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(
        mode & 0o777,
        0o660,
        "admin socket: service user and group only"
    );
    let on_disk: Value =
        serde_json::from_slice(&std::fs::read(files.join("status.json")).unwrap()).unwrap();
    assert_eq!(on_disk["running"], true);

    assert_eq!(app.stop(), 0, "clean exit on SIGTERM");
    let after: Value =
        serde_json::from_slice(&std::fs::read(files.join("status.json")).unwrap()).unwrap();
    assert_eq!(after["running"], false);
    assert!(
        !files.join("scoutly.sock").exists(),
        "socket removed on exit"
    );
}

#[test]
fn one_new_posting_through_the_cli_in_direct_mode() {
    let site = Site::start();
    site.set(
        "/acme/careers",
        careers_page("acme", &[(1, "Backend Engineer")]),
    );
    let mut app = Appliance::new();
    // Everything set up with no appliance running: the CLI opens the file.
    setup(&app, &site);
    let queued = app.json(&["jobs", "start", "Acme"]);
    assert_eq!(queued["job"]["status"], "pending");
    app.start();
    app.wait_until("baseline", || app.jobs("completed").len() == 1);
    assert_eq!(app.stop(), 0);

    site.set(
        "/acme/careers",
        careers_page("acme", &[(1, "Backend Engineer"), (2, "Product Designer")]),
    );
    app.json(&["jobs", "start", "Acme"]);
    app.start();
    app.wait_until("second scrape", || app.jobs("completed").len() == 2);
    assert_eq!(app.stop(), 0);

    let new = app.json(&["postings"]);
    assert_eq!(count(&new), 1, "{new}");
    assert_eq!(new[0]["title"], "Product Designer");
    let text = app.cli(&["postings"]);
    assert!(text.stdout.contains("Product Designer"), "{}", text.stdout);
    let status = app.cli(&["status"]);
    assert!(status.stdout.contains("not running"), "{}", status.stdout);
}

#[test]
fn failing_site_is_retried_with_backoff_then_failed_and_gone_page_needs_attention() {
    let site = Site::start();
    site.set_page(
        "/flaky/careers",
        common::site::Page {
            status: 503,
            body: "down".into(),
            ..Default::default()
        },
    );
    let app = {
        let mut a = Appliance::with_config(
            &common::FAST_CONFIG.replace("backoff_cap = \"1s\"", "backoff_cap = \"30s\""),
        );
        a.start();
        a
    };
    app.add_company("Flaky", &site.url("/flaky/careers"));
    app.add_company("Gone", &site.url("/gone/careers"));
    let failed_for = |c: u64| {
        app.jobs("failed")
            .into_iter()
            .rev()
            .find(|j| j["companyId"] == c)
    };
    app.wait_until("a failed job for each company", || {
        failed_for(1).is_some() && failed_for(2).is_some()
    });
    let flaky = failed_for(1).unwrap();
    assert_eq!(flaky["attempt"], 3, "retried up to queue.max_attempts");
    assert!(flaky["error"].as_str().unwrap().contains("503"), "{flaky}");
    assert!(site.hits("/flaky/careers") >= 3);
    let gone = failed_for(2).unwrap();
    assert_eq!(gone["attempt"], 1, "404 is not retried");
    let attention = app.json(&["attention"]);
    assert_eq!(count(&attention), 1, "{attention}");
    assert_eq!(attention[0]["companyName"], "Gone");
    let company = app.json(&["company", "show", "Flaky"]);
    assert_eq!(company["state"], "backing_off");
    assert_eq!(
        company["consecutiveFailures"], 3,
        "every failed attempt counts"
    );
    assert!(company["backoffUntil"].is_string());
}

#[test]
fn private_targets_are_refused_unless_configured() {
    let site = Site::start();
    site.set(
        "/acme/careers",
        careers_page("acme", &[(1, "Backend Engineer")]),
    );
    let mut app = Appliance::with_config(&common::FAST_CONFIG.replace(
        "allow_private_targets = true",
        "allow_private_targets = false",
    ));
    app.start();
    app.add_company("Acme", &site.url("/acme/careers"));
    app.wait_until("refused job", || app.jobs("failed").len() == 1);
    let job = &app.jobs("failed")[0];
    assert!(
        job["error"]
            .as_str()
            .unwrap()
            .contains("not a public address"),
        "{job}"
    );
    assert_eq!(
        site.hits("/acme/careers"),
        0,
        "no request reached the private address"
    );
    let attention = app.json(&["attention"]);
    assert!(
        attention[0]["reason"]
            .as_str()
            .unwrap()
            .contains("allow_private_targets"),
        "{attention}"
    );
}

#[test]
fn pagination_is_followed_up_to_the_page_limit() {
    let site = Site::start();
    for page in 1..=4u32 {
        let mut body = careers_page(
            "acme",
            &[
                (page * 100, "Backend Engineer"),
                (page * 100 + 1, "Data Analyst"),
            ],
        );
        body = body.replace(
            "</body>",
            &format!(
                "<a rel=\"next\" href=\"/acme/careers/p{}\">Next</a></body>",
                page + 1
            ),
        );
        let path = if page == 1 {
            "/acme/careers".to_string()
        } else {
            format!("/acme/careers/p{page}")
        };
        site.set(&path, body);
    }
    let mut app = Appliance::with_config(&format!(
        "{}\n",
        common::FAST_CONFIG.replace("[fetch]", "[fetch]\nmax_pages = 3")
    ));
    app.start();
    app.add_company("Acme", &site.url("/acme/careers"));
    app.wait_until("scrape", || app.jobs("completed").len() == 1);
    let job = &app.jobs("completed")[0];
    assert_eq!(job["pages"], 3, "{job}");
    assert_eq!(job["linksFound"], 6);
    assert_eq!(
        site.hits("/acme/careers/p4"),
        0,
        "stopped at fetch.max_pages"
    );
}

#[test]
fn demo_runs_with_no_setup_and_records_baselines() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(common::BIN)
        .args(["run", "--demo", "--listen", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env_remove("SCOUTLY_CONFIG")
        .env_remove("SCOUTLY_DATA_DIR")
        .env_remove("STATE_DIRECTORY")
        .env_remove("RUNTIME_DIRECTORY")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let lines: Vec<String> = std::io::BufRead::lines(std::io::BufReader::new(stdout))
        .map_while(Result::ok)
        .take_while(|l| !l.contains("status at"))
        .collect();
    assert!(
        lines.iter().any(|l| l.contains("demo API token")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("demo careers site")),
        "{lines:?}"
    );
    // The CLI finds the running demo through ./scoutly-data, as a newcomer would.
    let status = || {
        let out = std::process::Command::new(common::BIN)
            .args(["status", "--json"])
            .current_dir(dir.path())
            .env_remove("SCOUTLY_DATA_DIR")
            .output()
            .unwrap();
        serde_json::from_slice::<Value>(&out.stdout).unwrap_or_default()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let s = status();
        if s["postings"]["total"].as_u64() == Some(9) && s["companies"]["total"] == 3 {
            assert_eq!(s["running"], true);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no baselines: {s}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert!(child.wait().unwrap().success());
}

#[test]
fn tracking_a_company_triggers_a_pass_without_waiting_for_the_interval() {
    let site = Site::start();
    site.set(
        "/acme/careers",
        careers_page("acme", &[(1, "Backend Engineer")]),
    );
    let mut app = Appliance::with_config(
        &common::FAST_CONFIG.replace("pass_interval = \"300ms\"", "pass_interval = \"1h\""),
    );
    app.start();
    app.add_company("Acme", &site.url("/acme/careers"));
    app.wait_until("baseline scrape", || app.jobs("completed").len() == 1);
    let job = &app.jobs("completed")[0];
    assert_eq!(job["source"], "scheduled");
}

#[test]
fn links_after_an_empty_first_scrape_are_news_not_baseline() {
    let site = Site::start();
    site.set("/acme/careers", careers_page("acme", &[]));
    let mut app = Appliance::new();
    app.start();
    app.add_company("Acme", &site.url("/acme/careers"));
    app.wait_until("first scrape", || app.jobs("completed").len() == 1);
    site.set(
        "/acme/careers",
        careers_page("acme", &[(1, "Backend Engineer")]),
    );
    app.json(&["jobs", "start", "Acme"]);
    app.wait_until("second scrape", || app.jobs("completed").len() == 2);
    let news = app.json(&["postings"]);
    assert_eq!(count(&news), 1, "{news}");
    assert_eq!(news[0]["baseline"], false);
}

#[test]
fn a_broken_later_page_keeps_the_links_already_found() {
    let site = Site::start();
    let first = careers_page("acme", &[(1, "Backend Engineer")]).replace(
        "</body>",
        "<a rel=\"next\" href=\"/acme/careers/p2\">Next</a></body>",
    );
    site.set("/acme/careers", first);
    let mut app = Appliance::new();
    app.start();
    app.add_company("Acme", &site.url("/acme/careers"));
    app.wait_until("scrape", || app.jobs("completed").len() == 1);
    assert_eq!(
        site.hits("/acme/careers/p2"),
        1,
        "the broken page was tried"
    );
    assert_eq!(count(&app.json(&["postings", "--all"])), 1);
    assert!(app.json(&["attention"]).as_array().unwrap().is_empty());
}

#[test]
fn a_cron_trigger_enqueues_cron_jobs_and_status_shows_its_next_time() {
    let site = Site::start();
    site.set(
        "/acme/careers",
        careers_page("acme", &[(1, "Backend Engineer")]),
    );
    // Every two seconds (six fields: seconds first), so the test sees it fire.
    let mut app = Appliance::with_config(&format!(
        "{}[[schedule.cron]]\nexpr = \"*/2 * * * * *\"\ntz = \"Europe/London\"\n",
        common::FAST_CONFIG
    ));
    app.add_company("Acme", &site.url("/acme/careers"));
    app.start();
    app.wait_until("a cron job", || {
        app.json(&["jobs", "list", "--limit", "100"])
            .as_array()
            .unwrap()
            .iter()
            .any(|j| j["source"] == "cron")
    });
    assert!(app.log().contains("cron trigger fired"), "{}", app.log());
    let (code, status) = app.http("GET", "/status", None, None);
    assert_eq!(code, 200);
    assert_eq!(status["scheduler"]["nextCron"]["expr"], "*/2 * * * * *");
    assert_eq!(status["scheduler"]["nextCron"]["tz"], "Europe/London");
    let text = app.cli(&["status"]);
    assert!(text.stdout.contains("cron:      next"), "{}", text.stdout);
    assert_eq!(app.stop(), 0);
}
